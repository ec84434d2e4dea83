"""video_motion_score_filter: data-juicer's Farneback motion score (measured in the split pass: motion.MotionMeasure)."""

from __future__ import annotations

import sys

from pydantic import Field, PositiveFloat, PositiveInt, field_validator

from vidsift.ops.base import FilterParams, MeasuredFilter

from ..motion import FARNEBACK_DEFAULTS, MotionConfig, MotionMeasure


class VideoMotionScoreFilter(MeasuredFilter):
    name = "video_motion_score_filter"
    stage = "split"
    stat_keys = ("video_motion_score",)

    class Params(FilterParams):
        min_score: float = 0.25
        max_score: float = sys.float_info.max
        sampling_fps: PositiveFloat = 2.0
        # Resize before the flow: an int sets the short side; [h, w] sets both; max_size caps the long side.
        # Smaller frames are much faster and rank clips almost the same (see bench/motion.py).
        size: PositiveInt | list[PositiveInt] | None = None
        max_size: PositiveInt | None = None
        divisible: PositiveInt = 1
        relative: bool = False
        # Farneback parameters (data-juicer forwards these to OpenCV).
        pyr_scale: float = Field(FARNEBACK_DEFAULTS["pyr_scale"], gt=0, lt=1)
        levels: PositiveInt = FARNEBACK_DEFAULTS["levels"]
        winsize: PositiveInt = FARNEBACK_DEFAULTS["winsize"]
        iterations: PositiveInt = FARNEBACK_DEFAULTS["iterations"]
        poly_n: PositiveInt = FARNEBACK_DEFAULTS["poly_n"]
        poly_sigma: PositiveFloat = FARNEBACK_DEFAULTS["poly_sigma"]
        flags: int = FARNEBACK_DEFAULTS["flags"]

        @field_validator("size")
        @classmethod
        def _size_len(cls, v):
            if isinstance(v, list) and len(v) not in (1, 2):
                raise ValueError("size is an int, [short] or [h, w]")
            return v

    def motion_config(self) -> MotionConfig:
        p = self.params
        size = None if p.size is None else tuple(p.size) if isinstance(p.size, list) else (p.size,)
        return MotionConfig(
            sampling_fps=p.sampling_fps, size=size, max_size=p.max_size, divisible=p.divisible,
            relative=p.relative, farneback=tuple((k, getattr(p, k)) for k in FARNEBACK_DEFAULTS),
        )

    def measure(self, fps: float, pool=None) -> MotionMeasure:
        return MotionMeasure(self.motion_config(), fps, pool)

    def decide(self, stats):
        p = self.params
        return self._range_decision("video_motion_score", stats, p.min_score, p.max_score)
