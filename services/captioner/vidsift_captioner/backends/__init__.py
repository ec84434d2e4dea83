"""Caption backends: frames of several clips in, one ``Caption`` per clip out.

One small interface (``CaptionBackend.caption``), one file per implementation, a registry of
"module:function" loaders so torch and transformers are imported only by the backend that is used.
``get_backend`` keeps one loaded backend per set of parameters per process, created lazily in the
worker (after any fork: CUDA and fork do not mix).
"""

from __future__ import annotations

import importlib
import threading
import time
from dataclasses import dataclass, replace
from typing import Any, Callable, Protocol, Sequence

import numpy as np

BACKENDS: dict[str, str] = {
    "hf": "vidsift_captioner.backends.hf:load",
    "openai": "vidsift_captioner.backends.openai:load",
}
# What a backend takes per frame: "rgb" (uint8 arrays, H x W x 3) or "jpeg" (bytes, as stored by the
# splitter: an API backend sends them as they are). Known before the backend loads.
FRAME_FORMAT: dict[str, str] = {"hf": "rgb", "openai": "jpeg"}


@dataclass(frozen=True)
class Caption:
    text: str
    prompt_tokens: int
    completion_tokens: int
    refusal: str | None = None  # the backend reported that the model declined (not parsed from text)

    def with_text(self, text: str) -> "Caption":
        return replace(self, text=text)


class CaptionBackend(Protocol):
    # True for local models (one forward pass serves many clips): the op then pools concurrent
    # callers' clips (vidsift.batching.Batcher). An API backend sends requests concurrently instead.
    batches: bool

    def caption(self, clips_frames: Sequence[Sequence[np.ndarray | bytes]]) -> list[Caption]:
        """Frames (in time order, in the backend's FRAME_FORMAT) of each clip -> its caption, same order."""
        ...


class CaptionBackendError(RuntimeError):
    """The backend could not produce an answer (bad response, server error after retries).

    Infrastructure, not data: it propagates, and the message is retried by its transport.
    """


_LOADED: dict[Any, CaptionBackend] = {}
_LOCK = threading.Lock()


def get_backend(params, on_load: Callable[[float], None] | None = None) -> CaptionBackend:
    """The loaded backend for these op parameters (loaded once per process).

    ``on_load(seconds)`` is called once, by the caller that loaded it (for the model-load metric).
    """
    with _LOCK:  # threads of one worker share the model instead of loading it twice
        if params not in _LOADED:
            t0 = time.monotonic()
            module, _, fn = BACKENDS[params.backend].partition(":")
            _LOADED[params] = getattr(importlib.import_module(module), fn)(params)
            if on_load:
                on_load(time.monotonic() - t0)
        return _LOADED[params]
