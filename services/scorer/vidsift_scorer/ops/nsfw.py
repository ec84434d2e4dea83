"""video_nsfw_filter: drop clips whose frames are probably not safe for work.

The reference scheme writes ``score_threshold`` (data-juicer's old key, which today's data-juicer
silently ignores); vidsift honours it: keep when the score is strictly below it. The newer
``min_score``/``max_score`` (closed range, default 0.0-0.5) work too; giving both is refused.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from .frame_filter import ThresholdFilter, ThresholdParams

DEFAULT_MIN_SCORE, DEFAULT_MAX_SCORE = 0.0, 0.5  # data-juicer's defaults


class VideoNSFWFilter(ThresholdFilter):
    name = "video_nsfw_filter"
    stat_key = "video_nsfw_score"
    stat_keys = (stat_key,)

    class Params(ThresholdParams):
        LEGACY = "score_threshold"
        DEFAULTS = {"min_score": DEFAULT_MIN_SCORE, "max_score": DEFAULT_MAX_SCORE}
        DJ_KEYS = frozenset({"min_score", "max_score"})  # no score_threshold in 1.6.1
        hf_nsfw_model: str = "Falconsai/nsfw_image_detection"
        score_threshold: float | None = Field(None, ge=0, le=1)
        positive_label: str = "nsfw"  # its id2label name (generic LABEL_0/LABEL_1: class 1)
        # hf: the classifier; open_nsfw: Yahoo open_nsfw on onnxruntime (offline)
        backend: Literal["hf", "open_nsfw"] = "hf"

    def backend_spec(self):
        p = self.params
        if p.backend == "open_nsfw":
            return "open_nsfw", {}
        return "hf_classifier", {"model": p.hf_nsfw_model, "label": p.positive_label,
                                 "revision": p.revision, "trust_remote_code": p.trust_remote_code,
                                 **self.torch_options()}
