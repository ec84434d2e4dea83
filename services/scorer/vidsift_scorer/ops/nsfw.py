"""video_nsfw_filter: drop clips whose frames are probably not safe for work.

The reference scheme writes ``score_threshold`` (data-juicer's old key, which today's data-juicer
silently ignores); vidsift honours it: keep when the score is strictly below it. The newer
``min_score``/``max_score`` (closed range, default 0.0-0.5) work too; giving both is refused.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from .frame_filter import FrameScoreFilter, FrameScoreParams

DEFAULT_MIN_SCORE, DEFAULT_MAX_SCORE = 0.0, 0.5  # data-juicer's defaults


class VideoNSFWFilter(FrameScoreFilter):
    name = "video_nsfw_filter"
    stat_key = "video_nsfw_score"
    stat_keys = (stat_key,)

    class Params(FrameScoreParams):
        hf_nsfw_model: str = "Falconsai/nsfw_image_detection"
        score_threshold: float | None = Field(None, ge=0, le=1)
        min_score: float | None = Field(None, ge=0, le=1)
        max_score: float | None = Field(None, ge=0, le=1)
        positive_label: str = "nsfw"  # the id2label name of the NSFW class
        # hf: the classifier; open_nsfw: Yahoo open_nsfw on onnxruntime (offline)
        backend: Literal["hf", "open_nsfw"] = "hf"

        @model_validator(mode="before")
        @classmethod
        def _one_way(cls, data):
            if isinstance(data, dict):
                legacy = data.get("score_threshold") is not None
                ranged = data.get("min_score") is not None or data.get("max_score") is not None
                if legacy and ranged:
                    raise ValueError("set either score_threshold or min_score/max_score, not both")
                if not legacy and not ranged:
                    data = {**data, "min_score": DEFAULT_MIN_SCORE, "max_score": DEFAULT_MAX_SCORE}
            return data

    def backend_spec(self):
        p = self.params
        if p.backend == "open_nsfw":
            return "open_nsfw", {}
        return "hf_classifier", {"model": p.hf_nsfw_model, "label": p.positive_label,
                                 "revision": p.revision, "trust_remote_code": p.trust_remote_code}

    def decide(self, stats):
        p = self.params
        if p.score_threshold is not None:
            return self._below_decision(stats, p.score_threshold, "score_threshold")
        return self._between_decision(stats, p.min_score, p.max_score)
