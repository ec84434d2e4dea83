"""Text overlays found by OCR (PP-OCRv4 on onnxruntime, weights shipped in ``rapidocr-onnxruntime``).

An offline stand-in for a watermark classifier, after Cosmos-Curate's treatment of channel logos:
burnt-in text is what most web-video watermarks are (channel names, URLs, copyright lines).
Per frame, with the text boxes OCR reads (recognition confidence >= MIN_TEXT_SCORE, at least two
letters or digits, so texture read as a stray glyph does not count):

* **corner text**: a box lying wholly inside one corner region (the outer CORNER share of both the
  width and the height) is a channel logo: score 1.0;
* otherwise the **share of the frame area under text**, saturating: AREA_FULL of the frame covered
  scores 1.0, half of that 0.5, no text 0.0.

So the score reads like a watermark probability and the reference's ``prob_threshold: 0.6`` rejects
a frame with a corner logo or text over more than 3% of the frame.
"""

from __future__ import annotations

import re
from typing import Sequence

import numpy as np

from . import FrameScorer, ModelLoadError

MIN_TEXT_SCORE = 0.5
CORNER = 0.25
AREA_FULL = 0.05
_WORDY = re.compile(r"\w", re.UNICODE)


def text_boxes(result) -> list[np.ndarray]:
    """OCR result [(box 4x2, text, confidence), ...] -> boxes of credible text."""
    boxes = []
    for box, text, conf in result or []:
        if float(conf) >= MIN_TEXT_SCORE and len(_WORDY.findall(text or "")) >= 2:
            boxes.append(np.asarray(box, dtype=np.float32).reshape(4, 2))
    return boxes


def overlay_score(boxes: list[np.ndarray], height: int, width: int) -> float:
    """Pure scoring of one frame's text boxes (see the module docstring)."""
    import cv2

    if not boxes:
        return 0.0
    for b in boxes:
        x0, y0 = b.min(axis=0) / (width, height)
        x1, y1 = b.max(axis=0) / (width, height)
        in_x = x1 <= CORNER or x0 >= 1 - CORNER
        in_y = y1 <= CORNER or y0 >= 1 - CORNER
        if in_x and in_y:
            return 1.0
    mask = np.zeros((height, width), np.uint8)
    for b in boxes:  # one polygon per call: fillPoly with several uses even-odd, so overlaps would cancel
        cv2.fillPoly(mask, [np.round(b).astype(np.int32)], 1)
    return min(1.0, float(mask.mean()) / AREA_FULL)


class OCRText(FrameScorer):
    """options: none used (the package's detection and recognition models)."""

    def load(self) -> None:
        try:
            from rapidocr_onnxruntime import RapidOCR

            # Detect at the sample frame's own size (RapidOCR's default upscales the short side to
            # 736 px): same boxes on overlays and logos here, about 8x faster on CPU.
            self.engine = RapidOCR(det_limit_type="max")
        except Exception as exc:
            raise ModelLoadError(
                f"cannot load the RapidOCR models: {exc}. Install the scorer extra "
                "(pip install 'vidsift[scorer]'), which ships them in the rapidocr-onnxruntime wheel."
            ) from exc

    def boxes(self, frame: np.ndarray) -> list[np.ndarray]:
        # The angle classifier is skipped: overlays are upright, and it costs a third of the time.
        bgr = np.ascontiguousarray(frame[..., ::-1])  # RapidOCR reads arrays as OpenCV BGR
        result, _ = self.engine(bgr, use_cls=False)
        return text_boxes(result)

    def score(self, frames: Sequence[np.ndarray]) -> np.ndarray:
        # RapidOCR takes one image per call (boxes differ per frame); it threads inside onnxruntime.
        return np.array([overlay_score(self.boxes(f), *f.shape[:2]) for f in frames], dtype=np.float64)
