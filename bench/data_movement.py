"""Benchmark: bytes read from the input objects per source byte and per accepted clip, on a real S3
server (SeaweedFS on loopback), distributed (one worker per stage, RabbitMQ) and embedded (`vidsift run`).

    .venv/bin/python bench/data_movement.py [VIDEO ...]

Bytes are counted by a proxy in front of S3 (tests/movement.py), not by vidsift's own counters: the
split and resize workers each read through their own proxy and scratch directory (no shared cache,
the worst case of a cluster). Targets (issue 12): split <= 1.05x the sources; resize <= 2x the
accepted spans' bytes (each span from its preceding key frame).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "shared")]

from tests.infra import TESTDATA, ensure_rabbitmq, start_s3  # noqa: E402
from tests.movement import run_distributed, run_embedded  # noqa: E402

DEFAULT = ("video2dataset__test_video.mp4", "cosmoscurate__test_video_30s.mp4", "nemocurator__test_video.mp4")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("videos", nargs="*", default=[str(TESTDATA / v) for v in DEFAULT])
    args = ap.parse_args()
    sources = [Path(v) for v in args.videos]
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        s3 = start_s3(tmp / "s3")
        try:
            dist = run_distributed(s3, ensure_rabbitmq(), sources, tmp / "dist")
            emb = run_embedded(s3, sources, tmp / "emb")
        finally:
            s3.stop()
    mb = 1 << 20
    print(f"sources: {len(sources)}, {dist.source_bytes / mb:.2f} MiB; accepted clips: {dist.clips} "
          f"(embedded {emb.clips}); accepted spans from their key frames: {dist.span_bytes / mb:.2f} MiB")
    print()
    print("| mode | stage | MiB read | GETs | per source byte | per accepted clip (KiB) | vs spans | target |")
    print("|---|---|---|---|---|---|---|---|")
    rows = [("distributed", "split", dist.read["split"], dist.gets["split"], "<= 1.05x source",
             dist.read["split"] / dist.source_bytes),
            ("distributed", "resize", dist.read["resize"], dist.gets["resize"], "<= 2x spans",
             dist.read["resize"] / max(dist.span_bytes, 1)),
            ("distributed", "total", sum(dist.read.values()), sum(dist.gets.values()), "", None),
            ("embedded", "total", emb.read["all"], emb.gets["all"], "~1x source", None)]
    for mode, stage, n, gets, target, vs in rows:
        m = dist if mode == "distributed" else emb
        print(f"| {mode} | {stage} | {n / mb:.2f} | {gets} | {n / m.source_bytes:.3f} | {n / 1024 / max(m.clips, 1):.1f} "
              f"| {'' if vs is None else f'{vs:.2f}x'} | {target} |")


if __name__ == "__main__":
    main()
