"""Where and in which dtype a local caption model runs (the ``hf`` and ``minicpm`` backends alike)."""

from __future__ import annotations


def device_and_dtype(params):
    """bf16 on a GPU (half the memory, same captions in practice), fp16 on one without bf16; float32
    on a CPU. The choice is the scorer's (one place for both services' torch models)."""
    import torch

    from vidsift_scorer.backends.torch_common import pick_dtype

    device = params.accelerator or ("cuda" if torch.cuda.is_available() else "cpu")
    return device, pick_dtype("auto", device)
