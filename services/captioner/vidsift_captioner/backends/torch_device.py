"""Where and in which dtype a local caption model runs (the ``hf`` and ``minicpm`` backends alike)."""

from __future__ import annotations

from vidsift.devices import pick_device, pick_dtype


def device_and_dtype(params):
    """bf16 on a GPU (half the memory, same captions in practice), fp16 on one without bf16; float32
    on a CPU (``vidsift.devices``: one choice for every service's torch models)."""
    device = pick_device(params.accelerator or "auto")
    return device, pick_dtype("auto", device)
