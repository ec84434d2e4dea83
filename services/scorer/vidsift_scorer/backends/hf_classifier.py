"""A Hugging Face image classifier (e.g. ViT): the softmax probability of one positive class.

Which class is positive (``resolve_label``):

* by name, when one of the model's ``id2label`` names is the op's ``positive_label``
  (case-insensitive): data-juicer takes column 1 whatever the names, which silently scores the wrong
  class for a model whose labels are in the other order;
* otherwise, for a two-class model with transformers' generic names (``LABEL_0``/``LABEL_1``, as many
  hub checkpoints have), class index 1, as data-juicer does, with one warning when the model loads;
* otherwise the model cannot be used: an error naming its labels, raised by ``check`` (the worker's
  preflight) and ``load``, so it stops the worker at start instead of rejecting clip after clip.
"""

from __future__ import annotations

import logging
import re
from typing import Sequence

import numpy as np

from vidsift.devices import pick_device, pick_dtype

from . import FrameScorer, ModelLoadError
from .torch_common import ImageTransform, load_pretrained

log = logging.getLogger(__name__)

GENERIC = re.compile(r"LABEL_(\d+)")
DATA_JUICER_INDEX = 1  # the column data-juicer's watermark and NSFW filters read


def resolve_label(id2label: dict, label: str, model: str) -> tuple[int, str | None]:
    """(index of the positive class, a warning to log or None). Raises ModelLoadError."""
    want = label.strip().lower()
    names = {int(i): str(name) for i, name in id2label.items()}
    hits = [i for i, name in names.items() if name.strip().lower() == want]
    if len(hits) == 1:
        return hits[0], None
    generic = all((m := GENERIC.fullmatch(n.strip())) and int(m.group(1)) == i for i, n in names.items())
    if not hits and generic and sorted(names) == [0, 1]:
        return DATA_JUICER_INDEX, (
            f"model {model!r} has generic labels {[names[0], names[1]]}: scoring class "
            f"{DATA_JUICER_INDEX} ({names[DATA_JUICER_INDEX]}) as {label!r}, as data-juicer does. "
            "Check it on a few known frames, or give the model real id2label names.")
    listed = [names[k] for k in sorted(names)]
    raise ModelLoadError(
        f"model {model!r} has no single class named {label!r}; its labels are {listed}. "
        "Set the op's positive_label to the label that means a positive frame."
    )


def label_index(id2label: dict, label: str, model: str) -> int:
    return resolve_label(id2label, label, model)[0]


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
        self.index, warning = resolve_label(self.model.config.id2label, o["label"], model)
        if warning:
            log.warning(warning)
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
