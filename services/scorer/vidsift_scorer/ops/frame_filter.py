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

from vidsift.ops.base import Decision, FilterParams, FrameModelFilter, FrameRequest, in_range

REDUCERS = {"avg": np.mean, "max": np.max, "min": np.min}


DATA_JUICER = "data-juicer-1.6.1"


class FrameScoreParams(FilterParams):
    # "vidsift": the rules in docs/scorer.md. DATA_JUICER: decide as data-juicer 1.6.1's op of the same
    # name does (its interval per op, only the limit keys it has, its aesthetics scaling) and run the
    # torch models in fp32, as it does; what still differs is listed in docs/scorer.md.
    semantics: Literal["vidsift", "data-juicer-1.6.1"] = "vidsift"
    frame_sampling_method: Literal["all_keyframes", "uniform"] = "all_keyframes"
    frame_num: PositiveInt = 3
    reduce_mode: Literal["avg", "max", "min"] = "avg"
    trust_remote_code: bool = False
    # Pin a model revision (a commit hash) in production recipes: the recipe id then names the weights.
    revision: str | None = None


class ThresholdParams(FrameScoreParams):
    """The limit: a single threshold (``LEGACY``) or ``min_score``/``max_score`` (closed range).
    Giving both is refused rather than guessing which wins; giving neither applies ``DEFAULTS``.

    ``vidsift`` semantics: the threshold keeps a clip strictly below it (data-juicer's older rule).
    ``data-juicer-1.6.1``: only the keys that release's op has (``DJ_KEYS``) are accepted (it would
    ignore any other without a word, which is the mistake this refuses), and its threshold is a closed
    upper bound (``get_keep_boolean(value, None, threshold)``: keep ``value <= threshold``).
    Subclasses declare the ``LEGACY`` field itself."""

    LEGACY: ClassVar[str]
    DEFAULTS: ClassVar[dict[str, float]]
    DJ_KEYS: ClassVar[frozenset[str]]
    min_score: float | None = Field(None, ge=0, le=1)
    max_score: float | None = Field(None, ge=0, le=1)

    @model_validator(mode="before")
    @classmethod
    def _one_way(cls, data):
        if isinstance(data, dict):
            given = {k for k in (cls.LEGACY, "min_score", "max_score") if data.get(k) is not None}
            legacy, ranged = cls.LEGACY in given, bool(given - {cls.LEGACY})
            if legacy and ranged:
                raise ValueError(f"set either {cls.LEGACY} or min_score/max_score, not both")
            foreign = sorted(given - cls.DJ_KEYS)
            if data.get("semantics") == DATA_JUICER and foreign:
                raise ValueError(
                    f"semantics {DATA_JUICER}: its op has no {'/'.join(foreign)} (it would ignore it and "
                    f"apply {cls.dj_default()}); use {'/'.join(sorted(cls.DJ_KEYS))}")
            if not given:
                data = {**data, **cls.DEFAULTS}
        return data

    @classmethod
    def dj_default(cls) -> str:
        return ", ".join(f"{k} {v:g}" for k, v in cls.DEFAULTS.items())


def reduce(scores: np.ndarray, mode: str) -> float:
    if len(scores) == 0:
        raise ValueError("no frame scores to reduce")
    return float(REDUCERS[mode](np.asarray(scores, dtype=np.float64)))


class FrameScoreFilter(FrameModelFilter):
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

    @property
    def data_juicer(self) -> bool:
        return self.params.semantics == DATA_JUICER

    def torch_options(self) -> dict[str, Any]:
        """Backend options the semantics fixes: data-juicer runs its models in fp32 (whatever the
        worker's VIDSIFT_SCORER_DTYPE); vidsift leaves precision to the worker."""
        return {"dtype": "float32"} if self.data_juicer else {}

    def stats_from_scores(self, scores: np.ndarray) -> dict[str, Any]:
        return {self.stat_key: reduce(scores, self.params.reduce_mode)}

    def _below_decision(self, stats: dict[str, Any], threshold: float, name: str,
                        inclusive: bool = False) -> Decision:
        """A single upper threshold: keep when the value is strictly below it (data-juicer's legacy
        ``*_threshold`` rule), or, ``inclusive``, at most it (data-juicer 1.6.1's ``prob_threshold``)."""
        value = stats.get(self.stat_key)
        keep = in_range(value, None, None) and (value <= threshold if inclusive else value < threshold)
        reason = None
        if not keep:
            reason = (f"{self.stat_key} could not be computed" if value is None
                      else f"{self.stat_key} {value:.4g} {'>' if inclusive else '>='} {name} {threshold:g}")
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
            return self._below_decision(stats, threshold, p.LEGACY, inclusive=self.data_juicer)
        return self._between_decision(stats, p.min_score, p.max_score)


__all__ = ["DATA_JUICER", "FrameScoreFilter", "FrameScoreParams", "ThresholdFilter", "ThresholdParams", "reduce"]
