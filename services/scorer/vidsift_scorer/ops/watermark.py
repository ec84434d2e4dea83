"""video_watermark_filter: drop clips whose frames probably carry a watermark.

Two ways to set the limit, as data-juicer has had both: ``prob_threshold`` (keep when the probability
is strictly below it; the reference scheme's key) or the newer ``min_score``/``max_score`` (closed
range). Giving both is refused rather than guessing which one wins.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from .frame_filter import FrameScoreFilter, FrameScoreParams

DEFAULT_PROB_THRESHOLD = 0.8  # data-juicer's default


class VideoWatermarkFilter(FrameScoreFilter):
    name = "video_watermark_filter"
    stat_key = "video_watermark_prob"
    stat_keys = (stat_key,)

    class Params(FrameScoreParams):
        hf_watermark_model: str = "amrul-hzz/watermark_detector"
        prob_threshold: float | None = Field(None, ge=0, le=1)
        min_score: float | None = Field(None, ge=0, le=1)
        max_score: float | None = Field(None, ge=0, le=1)
        positive_label: str = "watermark"  # the id2label name of the watermark class
        # hf: the classifier; ocr: text overlays via RapidOCR (offline, see backends/ocr_text.py)
        backend: Literal["hf", "ocr"] = "hf"

        @model_validator(mode="before")
        @classmethod
        def _one_way(cls, data):
            if isinstance(data, dict):
                legacy = data.get("prob_threshold") is not None
                ranged = data.get("min_score") is not None or data.get("max_score") is not None
                if legacy and ranged:
                    raise ValueError("set either prob_threshold or min_score/max_score, not both")
                if not legacy and not ranged:
                    data = {**data, "prob_threshold": DEFAULT_PROB_THRESHOLD}
            return data

    def backend_spec(self):
        p = self.params
        if p.backend == "ocr":
            return "ocr_text", {}
        return "hf_classifier", {"model": p.hf_watermark_model, "label": p.positive_label,
                                 "revision": p.revision, "trust_remote_code": p.trust_remote_code}

    def decide(self, stats):
        p = self.params
        if p.prob_threshold is not None:
            return self._below_decision(stats, p.prob_threshold, "prob_threshold")
        return self._between_decision(stats, p.min_score, p.max_score)
