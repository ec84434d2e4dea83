"""video_aesthetics_filter: keep clips whose frames look good (LAION aesthetics predictor on CLIP)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from .frame_filter import FrameScoreFilter, FrameScoreParams

DEFAULT_MODEL = "shunk031/aesthetics-predictor-v2-sac-logos-ava1-l14-linearMSE"
LAION_SCALE = 10.0  # LAION aesthetics heads were trained on 1-10 ratings
LAION_MARK = "aesthetics-predictor"  # data-juicer 1.6.1: need_normalized_by_ten = MARK in model name


class VideoAestheticsFilter(FrameScoreFilter):
    name = "video_aesthetics_filter"
    stat_key = "video_frames_aesthetics_score"
    stat_keys = (stat_key,)

    class Params(FrameScoreParams):
        hf_scorer_model: str = DEFAULT_MODEL
        min_score: float = Field(0.4, ge=0, le=1)
        max_score: float = Field(1.0, ge=0, le=1)
        # data-juicer's default: 3 uniform frames (key frames are many and alike in aesthetics)
        frame_sampling_method: Literal["all_keyframes", "uniform"] = "uniform"
        backend: Literal["hf"] = "hf"
        # The backend's output is divided by this. None: 10 for a LAION-style head (rates 1-10). Under
        # vidsift semantics that is every model, since the backend loads only that head; under
        # data-juicer 1.6.1's, only a model whose name contains "aesthetics-predictor" (its rule, so a
        # local path to the same weights is not scaled there). Set it for any other head.
        score_divisor: float | None = Field(None, gt=0)

        @field_validator("hf_scorer_model")
        @classmethod
        def _empty_is_default(cls, v: str) -> str:
            return v or DEFAULT_MODEL  # data-juicer writes '' for "the default model"

    def backend_spec(self):
        p = self.params
        return "clip_aesthetics", {"model": p.hf_scorer_model, "revision": p.revision,
                                   "divisor": self.divisor, **self.torch_options()}

    @property
    def divisor(self) -> float:
        p = self.params
        if p.score_divisor is not None:
            return p.score_divisor
        laion = not self.data_juicer or LAION_MARK in p.hf_scorer_model
        return LAION_SCALE if laion else 1.0

    def decide(self, stats):
        return self._between_decision(stats, self.params.min_score, self.params.max_score)
