"""Shared helpers of the torch backends: from_pretrained errors and a that runs on the model's device (device and dtype: ``vidsift.devices``).

The transform reads the model's own preprocessor config (size, crop, mean, std) and applies it with
torch ops on the device, so decoding JPEGs is the only per-frame CPU work. It matches the Hugging Face
processor to within interpolation rounding (checked in tests/scorer/backends/test_torch_common.py).
"""

from __future__ import annotations

import logging
import os
from typing import Sequence

import numpy as np

log = logging.getLogger(__name__)


def how_to_provide(model: str, revision: str | None) -> str:
    if model.startswith((os.sep, ".", "~")) or os.path.isdir(model):
        return (f"Expected a model directory at {model} (a save_pretrained output or a hub snapshot: "
                "config.json, the weights and preprocessor_config.json).")
    rev = f" --revision {revision}" if revision else ""
    return (
        f"Provide it as a local directory (set the op's model parameter to the path), or pre-fetch it "
        f"into the Hugging Face cache on a machine with network access (`hf download {model}{rev}`) "
        f"and mount that cache as HF_HOME (HF_HUB_OFFLINE=1 on offline clusters; HF_HOME now "
        f"{os.environ.get('HF_HOME', 'unset')!r})."
    )


def load_pretrained(loader, model: str, revision: str | None, what: str, **kwargs):
    """``loader.from_pretrained`` with a failure message that names the model and how to provide it."""
    from .import ModelLoadError

    try:
        return loader.from_pretrained(model, revision=revision, **kwargs)
    except Exception as exc:  # any load failure (offline, missing file, bad config) is the same story
        raise ModelLoadError(f"cannot load {what} {model!r}: {str(exc).strip().rstrip('.')}. {how_to_provide(model, revision)}") from exc


class ImageTransform:
    """resize (+ centre crop), rescale, normalise: the processor's steps, as batched torch ops."""

    def __init__(self, processor, device: str, dtype):
        import torch

        size = processor.size
        self.shortest_edge = getattr(size, "shortest_edge", None) if not isinstance(size, dict) else size.get("shortest_edge")
        hw = size if isinstance(size, dict) else {"height": size.height, "width": size.width}
        self.resize_hw = (hw.get("height"), hw.get("width")) if hw.get("height") else None
        crop = getattr(processor, "crop_size", None) if getattr(processor, "do_center_crop", False) else None
        self.crop_hw = (crop["height"], crop["width"]) if isinstance(crop, dict) else (
            (crop.height, crop.width) if crop is not None else None)
        # PIL resample codes: 2 = bilinear, 3 = bicubic.
        self.mode = "bicubic" if int(getattr(processor, "resample", 2)) == 3 else "bilinear"
        scale = float(getattr(processor, "rescale_factor", 1 / 255)) if getattr(processor, "do_rescale", True) else 1.0
        mean = processor.image_mean if getattr(processor, "do_normalize", True) else (0.0, 0.0, 0.0)
        std = processor.image_std if getattr(processor, "do_normalize", True) else (1.0, 1.0, 1.0)
        self.device, self.dtype = device, dtype
        # x*scale - mean) / std folded into one multiply-add
        self.mul = (scale / torch.tensor(std, dtype=torch.float32, device=device)).view(1, 3, 1, 1)
        self.add = (-torch.tensor(mean, dtype=torch.float32, device=device) /
                    torch.tensor(std, dtype=torch.float32, device=device)).view(1, 3, 1, 1)

    def _target(self, h: int, w: int) -> tuple[int, int]:
        if self.shortest_edge:
            s = self.shortest_edge
            return (s, max(1, int(s * w / h))) if h <= w else (max(1, int(s * h / w)), s)
        return self.resize_hw or (h, w)

    def __call__(self, frames: Sequence[np.ndarray]):
        import torch
        import torch.nn.functional as F

        out = [None] * len(frames)
        groups: dict[tuple, list[int]] = {}
        for i, f in enumerate(frames):
            groups.setdefault(f.shape, []).append(i)
        for shape, idx in groups.items():  # frames of one source share a size: one resize per group
            x = torch.from_numpy(np.stack([frames[i] for i in idx])).to(self.device, non_blocking=True)
            x = x.permute(0, 3, 1, 2).float()
            th, tw = self._target(shape[0], shape[1])
            if (th, tw) != (shape[0], shape[1]):
                x = F.interpolate(x, size=(th, tw), mode=self.mode, antialias=True, align_corners=False)
                x = x.clamp_(0, 255)
            if self.crop_hw:
                ch, cw = self.crop_hw
                top, left = max(0, (th - ch) // 2), max(0, (tw - cw) // 2)
                x = x[:, :, top:top + ch, left:left + cw]
            x = x * self.mul + self.add
            for j, i in enumerate(idx):
                out[i] = x[j]
        return torch.stack(out).to(self.dtype)
