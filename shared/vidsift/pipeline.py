"""Stages and how a reference moves between them — independent of the transport.

A stage function takes one reference and a ``StageContext`` and returns the clip references to pass
on. It records rejections itself (``ctx.jobs.reject_*``); infrastructure failures raise. Both the
Celery workers and the embedded runner call ``run_stage``; neither knows the other exists.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass
from functools import cache
from typing import Any, Callable, Iterator, Mapping

from .config import Settings
from .jobs import JobStore
from .metrics import stage_timer
from .ops.base import Op
from .recipe import Recipe
from .refs import ClipRef, SourceRef
from .stages import first_stage, load, stage_names, stage_spec
from .storage import LocalInput, open_input

log = logging.getLogger(__name__)


class _PerStage(Mapping[str, str]):
    """stage -> a name made from it, over the installed stages (read on first use, not at import)."""

    def __init__(self, pattern: str):
        self._pattern = pattern

    def __getitem__(self, stage: str) -> str:
        if stage not in stage_names():
            raise KeyError(stage)
        return self._pattern.format(stage)

    def __iter__(self) -> Iterator[str]:
        return iter(stage_names())

    def __len__(self) -> int:
        return len(stage_names())


QUEUES = _PerStage("vidsift.{}")
TASKS = _PerStage("vidsift.stage.{}")


def next_stage(stage: str) -> str | None:
    stages = stage_names()
    i = stages.index(stage)
    return stages[i + 1] if i + 1 < len(stages) else None


def route(stage: str, ref: SourceRef | ClipRef) -> str | None:
    """Where an output of ``stage`` goes: a source reference (a range of a long source, from the
    first stage's plan) goes back to the first stage; a clip to the next stage."""
    return first_stage() if isinstance(ref, SourceRef) else next_stage(stage)


@dataclass
class StageContext:
    settings: Settings
    jobs: JobStore
    recipe: Recipe
    observer: Callable[[str, str, dict], None] | None = None  # metrics / progress hook

    def ops(self, stage: str) -> list[Op]:
        return _cached_ops(self.recipe, stage)

    def emit(self, event: str, stage: str, **data: Any) -> None:
        if self.observer:
            self.observer(event, stage, data)

    @contextlib.contextmanager
    def open_input(self, uri: str, stage: str, share: float = 1.0) -> Iterator[LocalInput]:
        """``storage.open_input`` for a stage: the bytes it read from the remote object are reported
        (``read`` events: ``vidsift_read_bytes_total{stage}``, the summary's bytes per source byte).
        ``share``: of a source split in ranges, a range's part (``blockcache.range_share``)."""
        opened: list[LocalInput] = []
        try:
            with open_input(uri, self.settings, share) as src:
                opened.append(src)
                yield src
        finally:  # after the input is closed: reads still in flight have landed in the count
            if opened and opened[0].bytes_read:
                self.emit("read", stage, bytes=opened[0].bytes_read, uri=uri, size=opened[0].stat.size)


# Ops are built once per process per recipe: models load lazily on first use and stay loaded.
_OP_CACHE: dict[tuple[str, str], list[Op]] = {}


def _cached_ops(recipe: Recipe, stage: str) -> list[Op]:
    key = (recipe.id, stage)
    if key not in _OP_CACHE:
        _OP_CACHE[key] = recipe.build(stage)
    return _OP_CACHE[key]


def stage_function(stage: str) -> Callable[[Any, StageContext], list[ClipRef]]:
    return _function(stage_spec(stage).run)


@cache
def _function(target: str) -> Callable:
    return load(target)


def run_stage(stage: str, ref: SourceRef | ClipRef, ctx: StageContext) -> list[ClipRef | SourceRef]:
    """Run one stage on one reference; return what goes on (``route`` says where).

    After the last stage, survivors are written as accepted records and nothing is returned.
    A clip that already has a final record (a redelivered message) is skipped: no second record.
    """
    if isinstance(ref, ClipRef) and ctx.jobs.has_record(ref.id):
        log.info("clip %s already finished; skipping redelivered message", ref.id)
        return []
    with stage_timer(stage) as timing:  # a no-op unless this process serves metrics
        if stage == first_stage() or ctx.recipe.ops_for(stage):
            out = stage_function(stage)(ref, ctx)
        else:
            out = [ref]  # a stage with no ops in this recipe passes its clips straight on
        if next_stage(stage) is None:
            for clip in out:
                ctx.jobs.accept(clip)
                ctx.emit("accepted", stage, clip=clip)
            return []
        timing.outputs(len(out))
        return out
