"""The op interface. Each op is one class with a pydantic ``Params`` model (data-juicer's names).

An op module must import cheaply: model libraries (torch, transformers, onnxruntime) are imported
lazily inside the op, so the recipe can be validated anywhere (the splitter image has no torch).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict

from ..stages import stage_names

Stage = str  # a stage name, as its service declares it (vidsift.stages)


def __getattr__(name: str) -> Any:
    # STAGES: the installed stages in order, read from the entry points on first use (not at import,
    # so a service package may import this module while it is being declared).
    if name == "STAGES":
        return stage_names()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class OpParams(BaseModel):
    """Parameters every data-juicer op accepts. Unknown keys are an error (extra='forbid')."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # data-juicer scheduling hints: accepted so its recipes load; vidsift sizes work per stage.
    mem_required: str | int | float | None = None
    cpu_required: float | None = None
    num_proc: int | None = None
    accelerator: Literal["cpu", "cuda"] | None = None
    batch_size: int | None = None
    video_key: Literal["videos"] = "videos"
    text_key: Literal["text"] = "text"


class FilterParams(OpParams):
    # Each vidsift clip holds exactly one video, so 'any' and 'all' agree; kept for data-juicer parity.
    any_or_all: Literal["any", "all"] = "any"


@dataclass(frozen=True)
class Decision:
    """What a filter decided for one clip: the stats it judged, keep or reject, and why."""

    op: str
    keep: bool
    stats: dict[str, Any] = field(default_factory=dict)
    reason: str | None = None


def in_range(value: float | None, lo: float | None, hi: float | None) -> bool:
    """data-juicer's closed interval [lo, hi]; a missing or NaN value is out of range."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return False
    return (lo is None or value >= lo) and (hi is None or value <= hi)


def range_reason(stat: str, value: Any, lo: Any, hi: Any) -> str:
    if value is None:
        return f"{stat} could not be computed"
    if lo is not None and value < lo:
        return f"{stat} {value:.4g} < min {lo:g}"
    return f"{stat} {value:.4g} > max {hi:g}"


def _bound_of(name: str, keys: list[str]) -> tuple[str | None, str]:
    if name.endswith("_threshold") and len(keys) == 1:
        return keys[0], "max"
    if name[:4] in ("min_", "max_"):
        tail = name[4:]
        if tail == "score" and len(keys) == 1:
            return keys[0], name[:3]
        for key in keys:
            if key == tail or key.endswith("_" + tail):
                return key, name[:3]
    return None, ""


@dataclass(frozen=True)
class FrameRequest:
    """Which sample frames an op reads: data-juicer's ``all_keyframes`` or ``uniform`` with N frames.

    The splitter stores the union of every op's requests next to the clip, so later stages (GPU
    nodes) get frames without decoding video.
    """

    method: Literal["all_keyframes", "uniform"]
    frame_num: int = 3


class Op:
    """Base of every op. ``stage`` names the stage that runs it (one the installed services declare)."""

    name: ClassVar[str]
    stage: ClassVar[Stage]
    Params: ClassVar[type[OpParams]] = OpParams

    def __init__(self, params: OpParams):
        self.params = params

    @classmethod
    def frame_requests(cls, params: OpParams) -> tuple[FrameRequest, ...]:
        """Sample frames this op needs (none by default). Must not load models."""
        return ()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.params!r})"


class Mapper(Op):
    """An op that changes clips (splits, resizes, captions) rather than judging them."""


class Filter(Op):
    """An op that judges a clip from stats. Stat keys use data-juicer's names."""

    Params: ClassVar[type[OpParams]] = FilterParams
    stat_keys: ClassVar[tuple[str, ...]] = ()

    def decide(self, stats: dict[str, Any]) -> Decision:
        """Keep or reject from already computed stats (pure: also used to re-threshold exports)."""
        raise NotImplementedError

    def bounds(self) -> list[tuple[str, str, str, float]]:
        """The thresholds this filter applies, as (stat, "min" or "max", parameter, value), for the
        report's histograms. By default read from the parameters by data-juicer's naming: ``min_X`` /
        ``max_X`` bound the stat ending in X (``min_score``: a one-stat filter's stat), ``*_threshold``
        is an upper bound; a filter whose parameters are named otherwise overrides this."""
        keys, out = list(self.stat_keys), []
        for name, value in self.params.model_dump().items():
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not abs(value) < 1e15:
                continue
            stat, kind = _bound_of(name, keys)
            if stat:
                out.append((stat, kind, name, float(value)))
        return out

    def _range_decision(self, stat: str, stats: dict[str, Any], lo, hi) -> Decision:
        value = stats.get(stat)
        keep = in_range(value, lo, hi)
        return Decision(
            op=self.name,
            keep=keep,
            stats={stat: value},
            reason=None if keep else range_reason(stat, value, lo, hi),
        )


# Contracts per kind of op: the op computes; its stage only feeds it. -----------------------------


class FrameMeasure:
    """One clip's accumulator in the first stage's single decode pass: ``add`` gets each decoded
    frame of the clip (BGR uint8, in order, ``rel`` = its index from the clip's first frame) as it
    arrives; ``close`` returns the clip's stats once its length is known."""

    def add(self, rel: int, frame: Any) -> None:
        raise NotImplementedError

    def close(self, total: int) -> dict[str, Any]:
        raise NotImplementedError


class MeasuredFilter(Filter):
    """A filter of the first stage whose stats are measured from the clip's frames during the one
    decode pass (motion is the first): ``measure`` starts one clip's accumulator. ``pool`` is an
    executor the measure may run work on, in parallel with decoding (None: run inline)."""

    def measure(self, fps: float, pool: Any = None) -> FrameMeasure:
        raise NotImplementedError


class SpanMapper(Mapper):
    """A first-stage mapper that cuts sources into clip spans (scene cuts, fixed durations):
    ``span_options`` are its settings of the decode pass that makes the spans."""

    def span_options(self) -> dict[str, Any]:
        raise NotImplementedError


class FrameModelFilter(Filter):
    """A filter whose stat a model computes from the clip's stored sample frames (no video decode):
    ``backend_spec`` names the model that turns frames into one score per frame (kind, options;
    nothing is loaded), ``stats_from_scores`` reduces a clip's scores to its stats. The stage loads
    each model once per process and batches frames of many clips through it."""

    def backend_spec(self) -> tuple[str, dict[str, Any]]:
        raise NotImplementedError

    def stats_from_scores(self, scores: Any) -> dict[str, Any]:
        raise NotImplementedError


class Materialiser(Mapper):
    """A mapper that writes a clip's span of the source as new media: ``outputs(geometry)`` are the
    outputs it wants for a source of that geometry (each with a ``key`` naming it in the clip's
    ``resized``); the stage renders every materialiser's outputs from one decode of the span."""

    def outputs(self, geometry: Any) -> list[Any]:
        raise NotImplementedError


class Captioner(Mapper):
    """A mapper that writes the clip's text from its sample frames: ``caption`` takes the frames of
    several clips (a batch) and returns one caption each, in order; ``usage`` is what one cost. The
    stage hands it the frames of its first frame request, as decoded RGB arrays or, when
    ``frame_format`` is "jpeg", the stored JPEG bytes (an API sends them as they are)."""

    @property
    def frame_format(self) -> Literal["rgb", "jpeg"]:
        return "rgb"

    def caption(self, clips_frames: Any, on_load: Any = None, settings: Any = None) -> list[Any]:
        raise NotImplementedError

    def usage(self, caption: Any) -> dict[str, Any]:
        raise NotImplementedError
