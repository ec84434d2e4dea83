"""video_watermark_filter: drop clips whose frames probably carry a watermark.

Two ways to set the limit, as data-juicer has had both: ``prob_threshold`` (keep when the probability
is strictly below it; the reference scheme's key) or the newer ``min_score``/``max_score`` (closed
range). Giving both is refused rather than guessing which one wins.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from .frame_filter import ThresholdFilter, ThresholdParams

DEFAULT_PROB_THRESHOLD = 0.8  # data-juicer's default


class VideoWatermarkFilter(ThresholdFilter):
    name = "video_watermark_filter"
    stat_key = "video_watermark_prob"
    stat_keys = (stat_key,)

    class Params(ThresholdParams):
        LEGACY = "prob_threshold"
        DEFAULTS = {"prob_threshold": DEFAULT_PROB_THRESHOLD}
        DJ_KEYS = frozenset({"prob_threshold"})  # no min/max_score in 1.6.1
        hf_watermark_model: str = "amrul-hzz/watermark_detector"
        prob_threshold: float | None = Field(None, ge=0, le=1)
        positive_label: str = "watermark"  # its id2label name (generic LABEL_0/LABEL_1: class 1)
        # hf: the classifier; ocr: text overlays via RapidOCR (offline, see backends/ocr_text.py)
        backend: Literal["hf", "ocr"] = "hf"

    def backend_spec(self):
        p = self.params
        if p.backend == "ocr":
            return "ocr_text", {}
        return "hf_classifier", {"model": p.hf_watermark_model, "label": p.positive_label,
                                 "revision": p.revision, "trust_remote_code": p.trust_remote_code,
                                 **self.torch_options()}
