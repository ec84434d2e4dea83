"""The score stage: run the recipe's model filters on a clip's stored sample frames.

For each score op in recipe order: get its frames (shared between ops that need the same frames),
score them with the op's backend, reduce to the op's stat, decide. The first rejection writes a
rejected record (op, stats, reason) and ends the clip; survivors go on with every stat added.

Batching: ops call their backend through a per-process ``vidsift.batching.Batcher``, so frames of all clips
being scored at that moment (``score_clips`` with many clips, or concurrent ``score_clip`` calls from
worker threads) go through the model together, ``batch_size`` frames per forward.
"""

from __future__ import annotations

import threading
from functools import cache
from typing import Any

import numpy as np

from vidsift.batching import Batcher
from vidsift.frames import clip_positions, load_frames
from vidsift.outcomes import ErrorType
from vidsift.pipeline import StageContext
from vidsift.recipe import Recipe
from vidsift.refs import ClipRef
from vidsift.storage import NotFound

from .backends import ModelLoadError, backend_class, get_backend
from .ops.frame_filter import FrameScoreFilter
from .settings import ScorerSettings, scorer_settings

_BATCHERS: dict[tuple, Batcher] = {}
_LOCK = threading.Lock()
_ACTIVE = [0]  # score_clips calls in flight in this process: who could still join a batch
_ACTIVE_LOCK = threading.Lock()  # not _LOCK: that one is held while a model loads


def _active() -> int:
    return _ACTIVE[0]


@cache
def _settings() -> ScorerSettings:
    return scorer_settings()


def batcher_for(op: FrameScoreFilter, settings: ScorerSettings | None = None) -> Batcher:
    """The process-wide batcher around ``op``'s backend (loads the model on first use)."""
    s = settings or _settings()
    kind, options = op.backend_spec()
    # the worker's device and dtype, unless the op fixes the dtype (data-juicer semantics: fp32);
    # the ONNX backends ignore these
    options = {"device": s.device, "dtype": s.dtype, **options}
    key = (kind, tuple(sorted(options.items())))
    with _LOCK:
        b = _BATCHERS.get(key)
        if b is None:
            b = _BATCHERS[key] = Batcher(get_backend(kind, **options).score, s.batch_size, s.max_wait_ms / 1000,
                                               expected=_active)
    return b


def prepare(recipe: Recipe) -> None:
    """Load every score model of ``recipe`` now, in this process (a worker child, after any fork)."""
    for op in recipe.build("score"):
        batcher_for(op)


def check_models(recipe: Recipe) -> None:
    """Raise ModelLoadError now if a score model of ``recipe`` cannot be loaded (config, label,
    processor); loads no weights onto a GPU, so a worker's parent process can call it before forking."""
    for op in recipe.build("score"):
        kind, options = op.backend_spec()
        try:
            backend_class(kind)(**options).check()
        except ModelLoadError as exc:  # which of the recipe's filters, for a recipe with several models
            raise ModelLoadError(f"{op.name}: {exc}") from exc


def check(recipe: Recipe, settings=None) -> None:
    """The score stage's preflight (``vidsift.preflight``): the same check a score worker runs at start."""
    check_models(recipe)


def preflight(pool: str = "prefork", recipe_source: str | None = None) -> None:
    """Worker start: check the models of ``VIDSIFT_SCORER_RECIPE`` (a profile name or recipe file,
    e.g. the one the Helm chart submits jobs with). Unset: nothing to check; models load on first use.
    The check runs in the main process whatever the ``pool``."""
    import os

    from vidsift.recipe import load_recipe

    source = recipe_source or os.environ.get("VIDSIFT_SCORER_RECIPE")
    if source:
        try:
            check_models(load_recipe(source))
        except ModelLoadError as exc:  # the message is the whole story: no traceback at start
            raise SystemExit(f"vidsift scorer: {exc}") from exc


class _BadFrames(Exception):
    pass


def _frames(clip: ClipRef, op: FrameScoreFilter, ctx: StageContext, cache_: dict) -> list[np.ndarray]:
    key = tuple(clip_positions(clip, op.request))
    if key not in cache_:
        try:
            cache_[key] = load_frames(clip, op.request, ctx.jobs.read_uri, ctx.settings)
        except (ValueError, NotFound) as exc:  # undecodable or vanished frame: the clip's problem
            raise _BadFrames(f"bad sample frame: {exc}") from exc
    return cache_[key]


def score_clips(clips: list[ClipRef], ctx: StageContext) -> list[list[ClipRef]]:
    """Score several clips together; one output list per input clip ([] when rejected)."""
    with _ACTIVE_LOCK:
        _ACTIVE[0] += 1
    try:
        return _score_clips(clips, ctx)
    finally:
        with _ACTIVE_LOCK:
            _ACTIVE[0] -= 1


def _score_clips(clips: list[ClipRef], ctx: StageContext) -> list[list[ClipRef]]:
    live: dict[int, dict[str, Any]] = {i: {} for i in range(len(clips))}
    frame_cache: dict[int, dict] = {i: {} for i in range(len(clips))}
    for op in ctx.ops("score"):
        batch: dict[int, list[np.ndarray]] = {}
        for i in list(live):
            try:
                batch[i] = _frames(clips[i], op, ctx, frame_cache[i])
            except _BadFrames as exc:
                ctx.jobs.reject_clip(clips[i], "score", op.name, str(exc), live.pop(i), error_type=ErrorType.BAD_FRAME)
        if not batch:
            continue
        scores = np.asarray(batcher_for(op)([f for fs in batch.values() for f in fs]), dtype=np.float64)
        start = 0
        for i, fs in batch.items():
            stats = op.stats_from_scores(scores[start:start + len(fs)])
            start += len(fs)
            live[i].update(stats)
            decision = op.decide(stats)
            if not decision.keep:
                ctx.jobs.reject_clip(clips[i], "score", op.name, decision.reason, live.pop(i))
    return [[clips[i].with_updates(stats={**clips[i].stats, **live[i]})] if i in live else []
            for i in range(len(clips))]


def score_clip(clip: ClipRef, ctx: StageContext) -> list[ClipRef]:
    return score_clips([clip], ctx)[0]
