"""Where and in which dtype an in-process torch model runs: the one choice for every service's
models (the scorer's filters, the captioner's local VLMs). torch is imported only when asked."""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)


def pick_device(device: str = "auto") -> str:
    import torch

    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return device


DTYPES = ("float32", "float16", "bfloat16")


def choose_dtype(requested: str, device: str, bf16_supported: bool) -> str:
    """The dtype name a torch backend runs in; the one choice for the scorer's and the captioner's
    in-process models. ``auto``: bf16 on GPU (fp32's range, half the memory traffic), fp32 on CPU.
    bf16 on a GPU without it (``torch.cuda.is_bf16_supported()`` false: before Ampere, e.g. T4, V100)
    becomes fp16, asked for or not: such GPUs emulate bf16 slowly or not at all. ``float32`` is kept
    everywhere (data-juicer's own precision: ``dtype: float32`` on an op, docs/scorer.md)."""
    if requested not in ("auto", *DTYPES):
        raise ValueError(f"dtype {requested!r}: expected auto, {', '.join(DTYPES)}")
    on_gpu = device.startswith("cuda")
    name = ("bfloat16" if on_gpu else "float32") if requested == "auto" else requested
    if name == "bfloat16" and on_gpu and not bf16_supported:
        return "float16"
    return name


def pick_dtype(dtype: str, device: str):
    """``choose_dtype`` for this machine, as a torch dtype."""
    import torch

    on_gpu = device.startswith("cuda")
    supported = on_gpu and torch.cuda.is_available() and torch.cuda.is_bf16_supported()
    name = choose_dtype(dtype, device, supported)
    if name != dtype and dtype != "auto":
        log.warning("%s has no bf16: running in %s instead of %s", device, name, dtype)
    return getattr(torch, name)
