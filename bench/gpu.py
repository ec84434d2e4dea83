"""Scorer throughput on a GPU: the default recipe's three models, full size, random weights.

CLIP ViT-L/14 + the LAION aesthetics head, and two ViT-B/16 classifiers (watermark, NSFW), built from
their configs (no download), bf16, through the scorer backends' own ``score`` (device-side resize and
normalisation of 640x360 uint8 frames from host memory, the forward, the softmax). Each model's
frames/s is measured at each batch size (frames per forward: VIDSIFT_SCORER_BATCH_SIZE); clips/s at
a load is 1 / sum over models of (frames per clip / frames/s), as the stage runs the models in turn:

* key frames: the recipe as vidsift runs it (``all_keyframes``), one key frame per 1-3 s clip per model;
* uniform 16: data-juicer's ``frame_num`` per op (3 aesthetics + 10 watermark + 3 NSFW frames).

Frame decoding and JPEG reads are CPU work outside this measure. Not run in CI:
    .venv/bin/python bench/gpu.py [--batch-sizes 8,16,32,64,128,256] [--peak-tflops 989]
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np

from vidsift_scorer.backends.clip_aesthetics import ClipAesthetics, predictor_class
from vidsift_scorer.backends.hf_classifier import HFClassifier
from vidsift_scorer.backends.torch_common import ImageTransform

LOADS = {"key frames": {"aesthetics": 1, "watermark": 1, "nsfw": 1},
         "uniform 16": {"aesthetics": 3, "watermark": 10, "nsfw": 3}}
# Dense bf16 tensor-core peaks (TFLOP/s), by a word of torch.cuda.get_device_name().
BF16_PEAK = {"H200": 989, "H100 PCIe": 756, "H100": 989, "A100": 312, "L40S": 362, "L4": 121, "A10": 125}
TARGET_CLIPS_S = 1500  # at the key-frame load, one H100-class GPU (issue 13)


def build_models(device: str, dtype):
    """The three backends, with full-size random models put in place of from_pretrained."""
    import torch
    from transformers import (CLIPImageProcessor, CLIPVisionConfig, ViTConfig, ViTForImageClassification,
                              ViTImageProcessor)

    torch.manual_seed(0)
    clip = CLIPVisionConfig(hidden_size=1024, intermediate_size=4096, num_hidden_layers=24, num_attention_heads=16,
                            patch_size=14, image_size=224, projection_dim=768, attn_implementation="sdpa")
    aes = ClipAesthetics(model="random ViT-L/14")
    aes.model = predictor_class()(clip).to(device, dtype).eval()
    aes.transform = ImageTransform(CLIPImageProcessor(), device, dtype)
    models = {"aesthetics": aes}
    vit = ViTConfig(hidden_size=768, intermediate_size=3072, num_hidden_layers=12, num_attention_heads=12,
                    patch_size=16, image_size=224, num_labels=2, attn_implementation="sdpa")
    for name in ("watermark", "nsfw"):
        clf = HFClassifier(model=f"random ViT-B/16 ({name})", label="LABEL_1")
        clf.model = ViTForImageClassification(vit).to(device, dtype).eval()
        clf.transform = ImageTransform(ViTImageProcessor(size={"height": 224, "width": 224}), device, dtype)
        clf.index = 1
        models[name] = clf
    for m in models.values():
        m.device, m._torch = device, torch
    return models


def flops_per_frame(backend, frame) -> float:
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    counter = FlopCounterMode(display=False)
    with counter, torch.inference_mode():
        backend.model(backend.transform([frame]))
    return float(counter.get_total_flops())


def frames_per_s(backend, frames, min_s: float, sync) -> float:
    for _ in range(2):  # warm-up: kernels chosen, allocator grown
        backend.score(frames)
    sync()
    n, t0 = 0, time.perf_counter()
    while True:
        backend.score(frames)  # returns numpy: the device work is done when it returns
        n += 1
        elapsed = time.perf_counter() - t0
        if elapsed >= min_s and n >= 3:
            return n * len(frames) / elapsed


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--batch-sizes", default="8,16,32,64,128,256")
    ap.add_argument("--min-seconds", type=float, default=1.0, help="timed run per model and batch size")
    ap.add_argument("--peak-tflops", type=float, help="the GPU's dense bf16 peak, if not in the table")
    ap.add_argument("--device", default="cuda", help="cpu: checks that the script runs, measures nothing useful")
    args = ap.parse_args()

    import torch

    cpu = args.device == "cpu"
    if not cpu and not torch.cuda.is_available():
        print("bench/gpu.py measures the scorer on a CUDA GPU, and torch sees none here "
              f"(torch {torch.__version__}, CUDA build: {torch.version.cuda}). Run it on a GPU machine.",
              file=sys.stderr)
        return 2
    dtype = torch.float32 if cpu else torch.bfloat16
    name = "CPU" if cpu else torch.cuda.get_device_name()
    peak = args.peak_tflops or next((v for k, v in BF16_PEAK.items() if k in name), None)
    sync = (lambda: None) if cpu else torch.cuda.synchronize
    models = build_models(args.device, dtype)
    frame = np.random.default_rng(0).integers(0, 256, (360, 640, 3), dtype=np.uint8)  # a stored sample frame
    flops = {k: flops_per_frame(m, frame) for k, m in models.items()}
    print(f"{name}, {'fp32' if cpu else 'bf16'}; GFLOP per frame: "
          + ", ".join(f"{k} {v / 1e9:.1f}" for k, v in flops.items())
          + f"; bf16 peak: {f'{peak:g} TFLOP/s' if peak else 'unknown (--peak-tflops)'}")

    rows = []
    for batch in [int(b) for b in args.batch_sizes.split(",")]:
        frames = [frame.copy() for _ in range(batch)]
        if not cpu:
            torch.cuda.reset_peak_memory_stats()
        fps = {k: frames_per_s(m, frames, args.min_seconds, sync) for k, m in models.items()}
        mem = 0.0 if cpu else torch.cuda.max_memory_allocated() / 2**30
        for load, per_clip in LOADS.items():
            seconds = sum(n / fps[k] for k, n in per_clip.items())  # GPU time of one clip
            tflops = sum(n * flops[k] for k, n in per_clip.items()) / seconds / 1e12
            rows.append((load, batch, 1 / seconds, tflops, mem, fps))

    print(f"\n{'load':<11} {'batch':>5} {'clips/s':>9} {'TFLOP/s':>8} {'of peak':>8} {'peak GiB':>9}   "
          "frames/s: aesthetics / watermark / nsfw")
    for load, batch, clips, tflops, mem, fps in rows:
        share = f"{tflops / peak:.1%}" if peak else "?"
        print(f"{load:<11} {batch:>5} {clips:>9.0f} {tflops:>8.1f} {share:>8} {mem:>9.2f}   "
              + " / ".join(f"{fps[k]:.0f}" for k in ("aesthetics", "watermark", "nsfw")))
    best = max(r[2] for r in rows if r[0] == "key frames")
    print(f"\nkey frames, best batch: {best:.0f} clips/s (target {TARGET_CLIPS_S} on one H100-class GPU: "
          f"{'met' if best >= TARGET_CLIPS_S else 'not met'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
