"""Scoring backends: RGB uint8 frames in, one float per frame out.

One small interface (``FrameScorer``), one file per implementation, a registry of "module:Class"
strings so heavy libraries (torch, onnxruntime) are imported only by the backend that is used.
A backend instance holds a loaded model; ``get_backend`` keeps one per (kind, options) per process,
created lazily in the worker process (after any fork: CUDA and fork do not mix).
"""

from __future__ import annotations

import importlib
import threading
from abc import ABC, abstractmethod
from typing import Sequence

import numpy as np

BACKENDS: dict[str, str] = {
    "clip_aesthetics": "vidsift_scorer.backends.clip_aesthetics:ClipAesthetics",
    "hf_classifier": "vidsift_scorer.backends.hf_classifier:HFClassifier",
    "open_nsfw": "vidsift_scorer.backends.open_nsfw:OpenNSFW",
    "ocr_text": "vidsift_scorer.backends.ocr_text:OCRText",
}


class ModelLoadError(RuntimeError):
    """A model that cannot be loaded. Raised at worker start; the message says how to provide it."""


class FrameScorer(ABC):
    """Scores frames. ``load`` is idempotent and does the heavy imports and weight loading."""

    def __init__(self, **options):
        self.options = options

    @abstractmethod
    def load(self) -> None: ...

    def check(self) -> None:
        """Fail now, with ModelLoadError, if ``load`` would fail. Touches no GPU (safe in a parent
        process before fork); backends whose load is cheap and CPU-only just load."""
        self.load()

    @abstractmethod
    def score(self, frames: Sequence[np.ndarray]) -> np.ndarray:
        """Frames (H, W, 3) RGB uint8, any sizes -> float array, one score per frame."""


def backend_class(kind: str) -> type[FrameScorer]:
    module, _, cls = BACKENDS[kind].partition(":")
    return getattr(importlib.import_module(module), cls)


_INSTANCES: dict[tuple, FrameScorer] = {}
_LOCK = threading.Lock()


def get_backend(kind: str, **options) -> FrameScorer:
    """The process-wide loaded backend for ``kind`` with these options (loads on first call)."""
    key = (kind, tuple(sorted(options.items())))
    with _LOCK:
        inst = _INSTANCES.get(key)
        if inst is None:
            inst = backend_class(kind)(**options)
            inst.load()
            _INSTANCES[key] = inst
    return inst
