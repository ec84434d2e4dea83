"""``hf`` backend: image-text-to-text models that transformers supports natively.

Qwen2-VL / Qwen2.5-VL, SmolVLM / Idefics3, LLaVA-OneVision, ...: the clip's frames go in as images
through the processor's chat template, one batched ``generate`` per call (left padding), greedy
unless a temperature is set. Token counts come from the tokenizer: prompt tokens are the
non-padding input ids (image placeholders included), completion tokens the generated ids up to and
including the first end-of-sequence id.

Models with their own code (MiniCPM-V 2.6, ``model_type: minicpmv``) go to ``minicpm.py``.
"""

from __future__ import annotations

import inspect
import logging
from typing import Sequence

import numpy as np

from . import Caption
from .torch_device import device_and_dtype

log = logging.getLogger(__name__)


def load(params):
    from transformers import AutoConfig

    try:
        config = AutoConfig.from_pretrained(params.model, revision=params.revision,
                                            trust_remote_code=params.trust_remote_code)
    except ValueError as exc:
        if "trust_remote_code" in str(exc) and not params.trust_remote_code:
            raise ValueError(
                f"{params.model} ships its own model code; set trust_remote_code: true on "
                "video_captioning_mapper if you trust it"
            ) from None
        raise
    if config.model_type == "minicpmv":
        from .minicpm import MiniCPMBackend

        return MiniCPMBackend(params)
    return HFBackend(params)


class HFBackend:
    batches = True

    def __init__(self, params):
        import torch
        from transformers import AutoModelForImageTextToText, AutoProcessor

        self.params = params
        self.device, dtype = device_and_dtype(params)
        self.processor = AutoProcessor.from_pretrained(params.model, revision=params.revision,
                                                       trust_remote_code=params.trust_remote_code)
        # Generation appends on the right, so prompts of different length are padded on the left.
        self.processor.tokenizer.padding_side = "left"
        self.model = AutoModelForImageTextToText.from_pretrained(
            params.model, revision=params.revision, dtype=dtype,
            trust_remote_code=params.trust_remote_code,
        ).to(self.device).eval()
        gen = self.model.generation_config
        eos = gen.eos_token_id if gen.eos_token_id is not None else self.processor.tokenizer.eos_token_id
        self.eos_ids = set(eos if isinstance(eos, list) else [eos]) - {None}
        # A generic tokenizer also returns token_type_ids, which generate() refuses unless the model
        # reads them (Gemma 3 does; Idefics3 does not).
        self.drop_inputs = {"token_type_ids"} - set(inspect.signature(self.model.forward).parameters)
        self._torch = torch
        log.info("loaded %s (%s) on %s", params.model, type(self.model).__name__, self.device)

    def _prompt(self, n_frames: int) -> str:
        content = [{"type": "image"} for _ in range(n_frames)] + [{"type": "text", "text": self.params.prompt}]
        return self.processor.apply_chat_template([{"role": "user", "content": content}],
                                                  add_generation_prompt=True, tokenize=False)

    def caption(self, clips_frames: Sequence[Sequence[np.ndarray]]) -> list[Caption]:
        from PIL import Image

        if not clips_frames:
            return []
        texts = [self._prompt(len(frames)) for frames in clips_frames]
        images = [[Image.fromarray(f) for f in frames] for frames in clips_frames]
        inputs = self.processor(text=texts, images=images, return_tensors="pt", padding=True).to(self.device)
        for name in self.drop_inputs:
            inputs.pop(name, None)
        sample = self.params.temperature > 0
        kwargs = {"do_sample": sample, **({"temperature": self.params.temperature} if sample else {})}
        with self._torch.inference_mode():
            out = self.model.generate(**inputs, max_new_tokens=self.params.max_tokens, **kwargs)
        prompt_lens = inputs["attention_mask"].sum(dim=1).tolist()
        generated = out[:, inputs["input_ids"].shape[1]:].tolist()
        captions = []
        for prompt_len, ids in zip(prompt_lens, generated):
            text_ids, n = self._until_eos(ids)
            text = self.processor.tokenizer.decode(text_ids, skip_special_tokens=True)
            captions.append(Caption(text=text.strip(), prompt_tokens=int(prompt_len), completion_tokens=n))
        return captions

    def _until_eos(self, ids: list[int]) -> tuple[list[int], int]:
        """The text ids before the first end-of-sequence, and the tokens generated up to and including
        it (what was paid for; the rest of the row is batch padding)."""
        for i, t in enumerate(ids):
            if t in self.eos_ids:
                return ids[:i], i + 1
        return ids, len(ids)
