"""LAION aesthetics predictor v2 (the "improved aesthetic predictor") on a CLIP image embedding.

Architecture of ``shunk031/aesthetics-predictor-v2-*`` (simple-aesthetics-predictor's
``AestheticsPredictorV2Linear``): CLIP ViT-L/14 vision tower with projection, image embedding
L2-normalised, then an MLP head ``layers`` (projection_dim -> 1024 -> 128 -> 64 -> 16 -> 1, no
activations: the "linearMSE" variant). The head was trained on 1-10 ratings, so the score is the
head's output divided by the op's ``divisor`` (10 for these heads), as data-juicer does (roughly 0.1-1.0; 0.4 keeps "average or better").

The class is defined here, not imported from simple-aesthetics-predictor: that package pins old
transformers; its checkpoints load into this class through ``from_pretrained`` unchanged.
"""

from __future__ import annotations

from functools import cache
from typing import Sequence

import numpy as np

from vidsift.devices import pick_device, pick_dtype

from . import FrameScorer
from .torch_common import ImageTransform, load_pretrained

HEAD_WIDTHS = (1024, 128, 64, 16, 1)
DROPOUTS = (0.2, 0.2, 0.1, None, None)  # the checkpoint's module indices depend on these
SCORE_SCALE = 10.0


@cache
def predictor_class():
    import torch
    from torch import nn
    from transformers import CLIPVisionModelWithProjection

    class AestheticsPredictorV2Linear(CLIPVisionModelWithProjection):
        def __init__(self, config):
            super().__init__(config)
            mods, width = [], config.projection_dim
            for out, drop in zip(HEAD_WIDTHS, DROPOUTS):
                mods.append(nn.Linear(width, out))
                if drop is not None:
                    mods.append(nn.Dropout(drop))
                width = out
            self.layers = nn.Sequential(*mods)
            self.post_init()

        def forward(self, pixel_values: torch.Tensor, **kwargs):  # -> (N,) raw 1-10 rating
            emb = super().forward(pixel_values=pixel_values).image_embeds
            emb = emb / emb.norm(dim=-1, keepdim=True)
            return self.layers(emb).squeeze(-1)

    return AestheticsPredictorV2Linear


class ClipAesthetics(FrameScorer):
    """options: model, revision, device, dtype, divisor (the op's: 10 for this LAION head)."""

    def load(self) -> None:
        import torch
        from transformers import AutoImageProcessor, CLIPVisionConfig

        o = self.options
        model, rev = o["model"], o.get("revision")
        self.device = pick_device(o.get("device", "auto"))
        dtype = pick_dtype(o.get("dtype", "auto"), self.device)
        config = load_pretrained(CLIPVisionConfig, model, rev, "aesthetics predictor config")
        self.model = load_pretrained(predictor_class(), model, rev, "aesthetics predictor",
                                     config=config, dtype=dtype).to(self.device).eval()
        processor = load_pretrained(AutoImageProcessor, model, rev, "aesthetics image processor")
        self.transform = ImageTransform(processor, self.device, dtype)
        self._torch = torch

    def check(self) -> None:
        from transformers import AutoImageProcessor, CLIPVisionConfig

        o = self.options
        load_pretrained(CLIPVisionConfig, o["model"], o.get("revision"), "aesthetics predictor config")
        load_pretrained(AutoImageProcessor, o["model"], o.get("revision"), "aesthetics image processor")

    def score(self, frames: Sequence[np.ndarray]) -> np.ndarray:
        with self._torch.inference_mode():
            raw = self.model(self.transform(frames))
        return raw.float().cpu().numpy().astype(np.float64) / float(self.options.get("divisor", SCORE_SCALE))
