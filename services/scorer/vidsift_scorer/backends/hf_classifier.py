"""A Hugging Face image classifier (e.g. ViT): the softmax probability of one named class.

The positive class is looked up in the model's ``id2label`` by name (case-insensitive), never by a
fixed index: data-juicer takes column 1, which silently scores the wrong class for a model whose
labels are in the other order. A model without the label is an error naming the labels it has.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from . import FrameScorer, ModelLoadError
from .torch_common import ImageTransform, load_pretrained, pick_device, pick_dtype


def label_index(id2label: dict, label: str, model: str) -> int:
    want = label.strip().lower()
    hits = [int(i) for i, name in id2label.items() if str(name).strip().lower() == want]
    if len(hits) != 1:
        names = [id2label[k] for k in sorted(id2label, key=int)]
        raise ModelLoadError(
            f"model {model!r} has no single class named {label!r}; its labels are {names}. "
            "Set the op's positive_label to the label that means a positive frame."
        )
    return hits[0]


class HFClassifier(FrameScorer):
    """options: model, label, revision, trust_remote_code, device, dtype."""

    def load(self) -> None:
        import torch
        from transformers import AutoImageProcessor, AutoModelForImageClassification

        o = self.options
        model, rev = o["model"], o.get("revision")
        self.device = pick_device(o.get("device", "auto"))
        dtype = pick_dtype(o.get("dtype", "auto"), self.device)
        trust = bool(o.get("trust_remote_code", False))
        self.model = load_pretrained(AutoModelForImageClassification, model, rev, "image classifier",
                                     dtype=dtype, trust_remote_code=trust).to(self.device).eval()
        self.index = label_index(self.model.config.id2label, o["label"], model)
        processor = load_pretrained(AutoImageProcessor, model, rev, "image processor", trust_remote_code=trust)
        self.transform = ImageTransform(processor, self.device, dtype)
        self._torch = torch

    def check(self) -> None:
        from transformers import AutoConfig, AutoImageProcessor

        o = self.options
        trust = bool(o.get("trust_remote_code", False))
        config = load_pretrained(AutoConfig, o["model"], o.get("revision"), "image classifier config",
                                 trust_remote_code=trust)
        label_index(config.id2label, o["label"], o["model"])
        load_pretrained(AutoImageProcessor, o["model"], o.get("revision"), "image processor", trust_remote_code=trust)

    def score(self, frames: Sequence[np.ndarray]) -> np.ndarray:
        with self._torch.inference_mode():
            logits = self.model(pixel_values=self.transform(frames)).logits
            probs = logits.float().softmax(dim=-1)[:, self.index]
        return probs.cpu().numpy().astype(np.float64)
