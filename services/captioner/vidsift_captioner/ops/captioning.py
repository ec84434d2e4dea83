"""``video_captioning_mapper``: caption a clip from N frames sampled uniformly across it.

The op validates its parameters and decides what a caption is worth (clean-up, refusal, cost); the
backend (``backends/``) turns frames into text and token counts. Importing this module is cheap:
the backend, and with it torch or an HTTP client, is loaded on the first caption, in the worker.
"""

from __future__ import annotations

import re
import threading
from typing import Callable, ClassVar, Literal, Sequence

import numpy as np
from pydantic import Field

from vidsift.batching import Batcher
from vidsift.ops.base import Captioner, FrameRequest, OpParams

from ..backends import FRAME_FORMAT, Caption, get_backend
from ..backends.openai import DEFAULT_BASE_URL

DEFAULT_PROMPT = (
    "These images are frames sampled in order from one short video clip. Write one paragraph that "
    "describes the clip for a text-to-video training set: the main subject and its appearance, the "
    "action and motion, the scene and setting, the camera movement (static, pan, tilt, zoom, "
    "tracking, handheld), and the visual style (lighting, colour, realism or animation). Begin "
    "directly with the subject; do not write 'the video shows' and do not mention frames or images."
)


class CaptioningParams(OpParams):
    backend: Literal["hf", "openai"]
    model: str  # hf: Hugging Face id or local directory; openai: the served model's name
    revision: str | None = None  # hf: pin the weights (branch, tag or commit)
    trust_remote_code: bool = False  # hf: needed by models that ship their own code (MiniCPM-V)
    # openai: any OpenAI-compatible server (vLLM, ...); None: the worker's VIDSIFT_CAPTION_BASE_URL,
    # else OpenAI's. Leave it out of recipes that run in several places (the chart's vLLM, a laptop).
    base_url: str | None = None
    api_key_env: str = "OPENAI_API_KEY"  # openai: environment variable holding the key
    api_key_file: str | None = None  # openai: a file holding the key (a mounted secret); wins over env
    detail: Literal["low", "high", "auto"] = "low"  # openai: image detail; 'low' is cheapest
    concurrency: int = Field(8, ge=1)  # openai: requests in flight per worker process
    timeout_s: float = Field(120.0, gt=0)  # openai: per request
    max_retries: int = Field(5, ge=0)  # openai: on 429, 5xx and connection errors
    frame_num: int = Field(4, ge=1)
    prompt: str = DEFAULT_PROMPT
    max_tokens: int = Field(256, ge=1)
    temperature: float = Field(0.0, ge=0)  # 0: greedy, reproducible captions
    batch_size: int = Field(8, ge=1)  # hf: clips per generate() call
    price_per_1k_input_tokens: float = Field(0.0, ge=0)  # USD
    price_per_1k_output_tokens: float = Field(0.0, ge=0)  # USD


def with_base_url(params: CaptioningParams, settings=None) -> CaptioningParams:
    """The params an openai backend is loaded with: the recipe's base_url, else the worker's
    ``caption_base_url`` setting, else OpenAI's."""
    if params.backend != "openai" or params.base_url:
        return params
    url = (settings.caption_base_url if settings is not None else "") or DEFAULT_BASE_URL
    return params.model_copy(update={"base_url": url})


# Openers of a model declining the task; such text is not a caption. Matched at the start only, so a
# caption that merely contains "sorry" (a sign in the scene) is kept.
_REFUSAL = re.compile(
    r"^\s*(i'?m sorry|i am sorry|sorry,|i can(?:'|no)t|i cannot|i'?m (?:not able|unable)|i am (?:not able|unable)"
    r"|as an ai\b|i apologi[sz]e)",
    re.IGNORECASE,
)
# Boilerplate the prompt asks the model to leave out; models still write it, so drop it here.
_BOILERPLATE = re.compile(
    r"^\s*(?:in )?(?:the|this) (?:video|clip|footage|sequence of (?:frames|images))"
    r" (?:shows|depicts|features|captures|presents|displays)\s*(?:that\s+)?[,:]?\s*",
    re.IGNORECASE,
)


def clean_caption(text: str) -> str:
    """One paragraph, no 'The video shows' opener."""
    text = " ".join(text.split())
    stripped = _BOILERPLATE.sub("", text, count=1)
    if stripped != text and stripped:
        stripped = stripped[0].upper() + stripped[1:]
    return stripped


def rejection_reason(caption: Caption) -> str | None:
    """Why a backend answer is not a usable caption (None if it is)."""
    if caption.refusal:
        return f"caption refused: {caption.refusal}"
    if not caption.text.strip():
        return "empty caption"
    if _REFUSAL.match(caption.text):
        return f"caption refused: {caption.text[:80]!r}"
    return None


class VideoCaptioningMapper(Captioner):
    name = "video_captioning_mapper"
    stage = "caption"
    Params: ClassVar[type[OpParams]] = CaptioningParams

    @classmethod
    def frame_requests(cls, params: CaptioningParams) -> tuple[FrameRequest, ...]:
        return (FrameRequest("uniform", params.frame_num),)

    @property
    def frame_format(self) -> str:
        return FRAME_FORMAT[self.params.backend]

    @property
    def frame_request(self) -> FrameRequest:
        return self.frame_requests(self.params)[0]

    def __init__(self, params: CaptioningParams):
        super().__init__(params)
        self._lock = threading.Lock()
        self._run: Callable[[list], list[Caption]] | None = None

    def caption(self, clips_frames: Sequence[Sequence[np.ndarray | bytes]],
                on_load: Callable[[float], None] | None = None, settings=None) -> list[Caption]:
        """Frames of several clips -> one cleaned caption each. The backend loads on first use,
        with ``settings`` (the worker's ``vidsift.config.Settings``) filling in what the recipe leaves to
        the place it runs in."""
        with self._lock:
            if self._run is None:
                backend = get_backend(with_base_url(self.params, settings), on_load)
                run = self._in_batches(backend)
                self._run = Batcher(run) if backend.batches else run
        return [c.with_text(clean_caption(c.text)) for c in self._run(list(clips_frames))]

    def _in_batches(self, backend) -> Callable[[list], list[Caption]]:
        size = self.params.batch_size

        def run(items: list) -> list[Caption]:
            out: list[Caption] = []
            for i in range(0, len(items), size):
                out.extend(backend.caption(items[i:i + size]))
            return out
        return run

    def usage(self, caption: Caption) -> dict:
        """The per-clip record of what the caption cost (``clip.caption`` in the manifest line)."""
        p = self.params
        cost = (caption.prompt_tokens * p.price_per_1k_input_tokens
                + caption.completion_tokens * p.price_per_1k_output_tokens) / 1000
        return {
            "backend": p.backend,
            "model": p.model,
            "prompt_tokens": caption.prompt_tokens,
            "completion_tokens": caption.completion_tokens,
            "cost_usd": round(cost, 8),
        }
