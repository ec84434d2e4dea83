"""MiniCPM-V 2.6 (``openbmb/MiniCPM-V-2_6``) through its own ``chat`` API, as in the reference scheme.

The model ships its code (``trust_remote_code``), written for transformers 4.40, so this backend
does what that code leaves to transformers' defaults of its day, and which later releases dropped:

* the tokenizer class is taken from ``tokenizer_config.json``'s ``auto_map`` and loaded by name
  (``AutoTokenizer`` in transformers 5.x ignores it and returns a plain Qwen2 tokenizer, without the
  ``im_start_id`` the processor reads); the processor is built from that tokenizer and passed to
  ``chat``, so it is loaded once, at the pinned revision (``chat`` would otherwise load its own from
  the model path, without the revision);
* the model class never calls ``post_init()``: weights are tied here after loading.

``chat`` takes a batch of conversations whose content is PIL frames then the prompt. Video settings
follow the model card: no image ids, at most 2 slices per frame (1 for more than 16 frames).
``chat`` returns text only, so tokens are counted with the tokenizer: the answer's ids, and the
prompt as the processor builds it, each frame's tag replaced by its placeholder from the image
processor's own slice grid (a 640x360 frame: the image and 2 slices, 3 x (query_num + 2) tokens).
"""

from __future__ import annotations

import json
import logging
from typing import Sequence

import numpy as np

from . import Caption
from .torch_device import device_and_dtype

log = logging.getLogger(__name__)

IMAGE_TAG = "(<image>./</image>)"  # what chat() writes per image and the processor replaces


def remote_class(model: str, revision: str | None, filename: str, auto: str):
    """The class a repo's ``auto_map`` names for ``auto`` in ``filename``, loaded from its own code."""
    from transformers.dynamic_module_utils import get_class_from_dynamic_module
    from transformers.utils import cached_file

    with open(cached_file(model, filename, revision=revision)) as f:
        ref = (json.load(f).get("auto_map") or {}).get(auto)
    if isinstance(ref, (list, tuple)):  # AutoTokenizer: [slow, fast]; MiniCPM-V puts its fast class first
        ref = ref[1] or ref[0]
    if not ref:
        raise ValueError(f"{model}: {filename} names no {auto} class in its auto_map")
    return get_class_from_dynamic_module(ref, model, revision=revision)


class MiniCPMBackend:
    batches = True

    def __init__(self, params):
        import torch
        from transformers import AutoModel

        self.params = params
        self.device, dtype = device_and_dtype(params)
        rev = params.revision
        # sdpa: the model card's choice; its code does not support eager attention.
        self.model = AutoModel.from_pretrained(
            params.model, revision=rev, trust_remote_code=True, attn_implementation="sdpa", dtype=dtype,
        ).to(self.device).eval()
        self.model.tie_weights()  # what post_init() would have set up; a no-op for untied weights
        self.tokenizer = remote_class(params.model, rev, "tokenizer_config.json", "AutoTokenizer").from_pretrained(
            params.model, revision=rev)
        images = remote_class(params.model, rev, "preprocessor_config.json", "AutoImageProcessor").from_pretrained(
            params.model, revision=rev)
        self.processor = remote_class(params.model, rev, "preprocessor_config.json", "AutoProcessor")(
            image_processor=images, tokenizer=self.tokenizer)
        self._torch = torch
        log.info("loaded %s (MiniCPM-V chat) on %s", params.model, self.device)

    def caption(self, clips_frames: Sequence[Sequence[np.ndarray]]) -> list[Caption]:
        from PIL import Image

        if not clips_frames:
            return []
        msgs = [[{"role": "user", "content": [Image.fromarray(f) for f in frames] + [self.params.prompt]}]
                for frames in clips_frames]
        slices = 1 if max(len(f) for f in clips_frames) > 16 else 2
        sample = self.params.temperature > 0
        with self._torch.inference_mode():
            answers = self.model.chat(
                image=None, msgs=msgs, tokenizer=self.tokenizer, processor=self.processor,
                max_new_tokens=self.params.max_tokens, sampling=sample, num_beams=1, use_image_id=False,
                max_slice_nums=slices, **({"temperature": self.params.temperature} if sample else {}),
            )
        return [
            Caption(text=(answer or "").strip(), prompt_tokens=self.prompt_tokens(frames, slices),
                    completion_tokens=len(self.tokenizer(answer or "").input_ids))
            for answer, frames in zip(answers, clips_frames)
        ]

    def prompt_tokens(self, frames: Sequence[np.ndarray], slices: int) -> int:
        """The prompt's length as chat() and the processor build it (no pixels are processed)."""
        content = "\n".join([IMAGE_TAG] * len(frames) + [self.params.prompt])
        text = self.tokenizer.apply_chat_template([{"role": "user", "content": content}], tokenize=False,
                                                  add_generation_prompt=True)
        chunks = text.split(IMAGE_TAG)
        placeholder = self.processor.image_processor.get_slice_image_placeholder
        parts = [chunks[0]]
        for i, (frame, chunk) in enumerate(zip(frames, chunks[1:])):
            height, width = frame.shape[:2]
            parts += [placeholder((width, height), i, slices, False), chunk]
        return len(self.tokenizer("".join(parts)).input_ids)
