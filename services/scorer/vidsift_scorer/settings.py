"""Scorer worker settings (environment only; the recipe says *what* to score, these say *how fast*).

Every default is written here once. They are per-process knobs of the GPU worker, not recipe
parameters, so changing them never changes a recipe id or a score.
"""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class ScorerSettings:
    batch_size: int = 64  # frames per forward pass (per model)
    max_wait_ms: float = 5.0  # how long a forward waits for other clips' frames to fill a batch
    device: str = "auto"  # auto | cpu | cuda | cuda:N
    dtype: str = "auto"  # auto (bf16 on GPU, fp32 on CPU) | float32 | float16 | bfloat16


def scorer_settings() -> ScorerSettings:
    d = ScorerSettings()
    env = os.environ.get
    return ScorerSettings(
        batch_size=int(env("VIDSIFT_SCORER_BATCH_SIZE", d.batch_size)),
        max_wait_ms=float(env("VIDSIFT_SCORER_MAX_WAIT_MS", d.max_wait_ms)),
        device=env("VIDSIFT_SCORER_DEVICE", d.device),
        dtype=env("VIDSIFT_SCORER_DTYPE", d.dtype),
    )
