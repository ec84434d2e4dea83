"""What the three model filters share: data-juicer's frame sampling and reduce parameters, the
backend choice, and how per-frame scores become the clip's stat.

A ``FrameScoreFilter`` names its stat key and maps its params to a backend (``backend_spec``); the
stage loads frames, calls the backend and ``reduce``s. ``decide`` stays pure (stats in, Decision out),
so an export can re-threshold stored stats without models.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

import numpy as np
from pydantic import PositiveInt

from vidsift.ops.base import Decision, Filter, FilterParams, FrameRequest, in_range

REDUCERS = {"avg": np.mean, "max": np.max, "min": np.min}


class FrameScoreParams(FilterParams):
    frame_sampling_method: Literal["all_keyframes", "uniform"] = "all_keyframes"
    frame_num: PositiveInt = 3
    reduce_mode: Literal["avg", "max", "min"] = "avg"
    trust_remote_code: bool = False
    # Pin a model revision (a commit hash) in production recipes: the recipe id then names the weights.
    revision: str | None = None


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


__all__ = ["FrameScoreFilter", "FrameScoreParams", "reduce"]
