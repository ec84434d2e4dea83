"""What the three model filters share: data-juicer's frame sampling and reduce parameters, the
backend choice, and how per-frame scores become the clip's stat.

A ``FrameScoreFilter`` names its stat key and maps its params to a backend (``backend_spec``); the
stage loads frames, calls the backend and ``reduce``s. ``decide`` stays pure (stats in, Decision out),
so an export can re-threshold stored stats without models.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

import numpy as np
from pydantic import Field, PositiveInt, model_validator

from vidsift.ops.base import Decision, Filter, FilterParams, FrameRequest, in_range

REDUCERS = {"avg": np.mean, "max": np.max, "min": np.min}


class FrameScoreParams(FilterParams):
    frame_sampling_method: Literal["all_keyframes", "uniform"] = "all_keyframes"
    frame_num: PositiveInt = 3
    reduce_mode: Literal["avg", "max", "min"] = "avg"
    trust_remote_code: bool = False
    # Pin a model revision (a commit hash) in production recipes: the recipe id then names the weights.
    revision: str | None = None


class ThresholdParams(FrameScoreParams):
    """Either data-juicer's older single threshold (``LEGACY``: keep when strictly below it) or the
    newer ``min_score``/``max_score`` (closed range). Giving both is refused rather than guessing which
    wins; giving neither applies ``DEFAULTS``. Subclasses declare the ``LEGACY`` field itself."""

    LEGACY: ClassVar[str]
    DEFAULTS: ClassVar[dict[str, float]]
    min_score: float | None = Field(None, ge=0, le=1)
    max_score: float | None = Field(None, ge=0, le=1)

    @model_validator(mode="before")
    @classmethod
    def _one_way(cls, data):
        if isinstance(data, dict):
            legacy = data.get(cls.LEGACY) is not None
            ranged = data.get("min_score") is not None or data.get("max_score") is not None
            if legacy and ranged:
                raise ValueError(f"set either {cls.LEGACY} or min_score/max_score, not both")
            if not legacy and not ranged:
                data = {**data, **cls.DEFAULTS}
        return data


def reduce(scores: np.ndarray, mode: str) -> float:
    if len(scores) == 0:
        raise ValueError("no frame scores to reduce")
    return float(REDUCERS[mode](np.asarray(scores, dtype=np.float64)))


class FrameScoreFilter(Filter):
    stage: ClassVar = "score"
    stat_key: ClassVar[str]

    @classmethod
    def frame_requests(cls, params) -> tuple[FrameRequest, ...]:
        return (FrameRequest(params.frame_sampling_method, params.frame_num),)

    @property
    def request(self) -> FrameRequest:
        return self.frame_requests(self.params)[0]

    def backend_spec(self) -> tuple[str, dict[str, Any]]:
        """(backend kind, options) for ``vidsift_scorer.backends.get_backend``; no model is loaded."""
        raise NotImplementedError

    def stats_from_scores(self, scores: np.ndarray) -> dict[str, Any]:
        return {self.stat_key: reduce(scores, self.params.reduce_mode)}

    def _below_decision(self, stats: dict[str, Any], threshold: float, name: str) -> Decision:
        """data-juicer's legacy ``*_threshold`` rule: keep when the value is strictly below it."""
        value = stats.get(self.stat_key)
        keep = in_range(value, None, None) and value < threshold
        reason = None
        if not keep:
            reason = (f"{self.stat_key} could not be computed" if value is None
                      else f"{self.stat_key} {value:.4g} >= {name} {threshold:g}")
        return Decision(op=self.name, keep=keep, stats={self.stat_key: value}, reason=reason)

    def _between_decision(self, stats: dict[str, Any], lo, hi) -> Decision:
        return self._range_decision(self.stat_key, stats, lo, hi)


class ThresholdFilter(FrameScoreFilter):
    """A filter whose params are ``ThresholdParams``."""

    def decide(self, stats: dict[str, Any]) -> Decision:
        """ThresholdParams filters: the legacy threshold when given, else the closed range."""
        p = self.params
        threshold = getattr(p, p.LEGACY)
        if threshold is not None:
            return self._below_decision(stats, threshold, p.LEGACY)
        return self._between_decision(stats, p.min_score, p.max_score)


__all__ = ["FrameScoreFilter", "FrameScoreParams", "ThresholdFilter", "ThresholdParams", "reduce"]
