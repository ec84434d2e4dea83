"""MiniCPM-V 2.6 (``openbmb/MiniCPM-V-2_6``) through its own ``chat`` API, as in the reference scheme.

The model ships its code (``trust_remote_code``), and its ``chat`` takes a batch of conversations
whose content is a list of PIL images followed by the prompt. Video settings follow the model card:
no image ids, at most 2 slices per frame (1 for more than 16 frames). ``chat`` returns text only, so
tokens are counted with the tokenizer: the answer's ids, and the prompt's ids plus ``query_num``
image tokens (and the two around them) per frame. That prompt count is an estimate: it assumes one
slice per frame, as for the stored sample frames (``vidsift.frames.MAX_SIDE`` px long side)
unless they are close to square.
"""

from __future__ import annotations

import logging
from typing import Sequence

import numpy as np

from . import Caption
from .hf import device_and_dtype

log = logging.getLogger(__name__)


class MiniCPMBackend:
    batches = True

    def __init__(self, params):
        import torch
        from transformers import AutoModel, AutoTokenizer

        self.params = params
        self.device, dtype = device_and_dtype(params)
        # sdpa: the model card's choice; its code does not support eager attention.
        self.model = AutoModel.from_pretrained(
            params.model, revision=params.revision, trust_remote_code=True,
            attn_implementation="sdpa", dtype=dtype,
        ).to(self.device).eval()
        self.tokenizer = AutoTokenizer.from_pretrained(params.model, revision=params.revision, trust_remote_code=True)
        self.query_num = int(getattr(self.model.config, "query_num", 64))
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
                image=None, msgs=msgs, tokenizer=self.tokenizer, max_new_tokens=self.params.max_tokens,
                sampling=sample, num_beams=1, use_image_id=False, max_slice_nums=slices,
                **({"temperature": self.params.temperature} if sample else {}),
            )
        prompt_text = len(self.tokenizer(self.params.prompt).input_ids)
        return [
            Caption(
                text=(answer or "").strip(),
                prompt_tokens=prompt_text + len(frames) * (self.query_num + 2),
                completion_tokens=len(self.tokenizer(answer or "").input_ids),
            )
            for answer, frames in zip(answers, clips_frames)
        ]
