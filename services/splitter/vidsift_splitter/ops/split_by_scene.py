"""video_split_by_scene_mapper: PySceneDetect scene cuts (data-juicer's op)."""

from __future__ import annotations

from typing import Literal

from pydantic import NonNegativeInt

from vidsift.ops.base import OpParams, SpanMapper


class VideoSplitBySceneMapper(SpanMapper):
    name = "video_split_by_scene_mapper"
    stage = "split"

    class Params(OpParams):
        detector: Literal["ContentDetector", "AdaptiveDetector", "ThresholdDetector"] = "ContentDetector"
        # Passed as the detector's first argument, as data-juicer does (AdaptiveDetector: adaptive_threshold).
        threshold: float = 27.0
        min_scene_len: NonNegativeInt = 15
        show_progress: bool = False
        # Detector-specific options data-juicer forwards to PySceneDetect.
        luma_only: bool | None = None
        window_width: int | None = None
        min_content_val: float | None = None
        fade_bias: float | None = None
        add_final_scene: bool | None = None

    _OPTIONS = {
        "ContentDetector": ("luma_only",),
        "AdaptiveDetector": ("luma_only", "window_width", "min_content_val"),
        "ThresholdDetector": ("fade_bias", "add_final_scene"),
    }

    def span_options(self) -> dict:
        return {"detector": self.detector_factory()}

    def detector_factory(self):
        """A callable building a fresh detector (detectors keep per-video state)."""
        p = self.params
        extra = {}
        for key, value in p.model_dump().items():
            if key in ("luma_only", "window_width", "min_content_val", "fade_bias", "add_final_scene") and value is not None:
                if key not in self._OPTIONS[p.detector]:
                    raise ValueError(f"{self.name}: parameter {key!r} does not apply to {p.detector}")
                extra[key] = value

        def build():
            import scenedetect.detectors as detectors

            return getattr(detectors, p.detector)(p.threshold, p.min_scene_len, **extra)

        return build
