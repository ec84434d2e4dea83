"""Benchmark: bytes read from the input objects per source byte and per accepted clip, on a real S3
server (SeaweedFS on loopback), distributed (one worker per stage, RabbitMQ) and embedded (`vidsift run`).

    .venv/bin/python bench/data_movement.py [VIDEO ...] [--long SECONDS [--range-s S]] [--only-long]

Bytes are counted by a proxy in front of S3 (tests/movement.py), not by vidsift's own counters: the
split and resize workers each read through their own proxy and scratch directory (no shared cache,
the worst case of a cluster). Targets (issue 12): split <= 1.05x the sources; resize <= 2x the
accepted spans' bytes (each span from its preceding key frame).

``--long``: also a long CFR source (looped from a test video, 640x360, 25 fps) split in range tasks of
``--range-s`` seconds, the planning task and each range task with an empty cache of its own (split
workers on separate nodes), every task's reads counted by the proxy.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "shared")]

from tests.infra import TESTDATA, ensure_rabbitmq, start_s3  # noqa: E402 - after sys.path gets the repo
from tests.movement import long_source, run_distributed, run_embedded, split_in_ranges  # noqa: E402 - after sys.path gets the repo

DEFAULT = ("video2dataset__test_video.mp4", "cosmoscurate__test_video_30s.mp4", "nemocurator__test_video.mp4")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("videos", nargs="*", default=[str(TESTDATA / v) for v in DEFAULT])
    ap.add_argument("--long", type=int, default=0, metavar="SECONDS", help="also a long source in range tasks")
    ap.add_argument("--range-s", type=float, default=300.0, help="range length for --long (default: the setting's)")
    ap.add_argument("--only-long", action="store_true", help="only the long source")
    ap.add_argument("--long-bitrate", default="2M", help="the long source's video bitrate (ffmpeg -b:v)")
    args = ap.parse_args()
    sources = [Path(v) for v in args.videos]
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        s3 = start_s3(tmp / "s3")
        try:
            if not args.only_long:
                dist = run_distributed(s3, ensure_rabbitmq(), sources, tmp / "dist")
                emb = run_embedded(s3, sources, tmp / "emb")
            if args.long:
                os.environ.update(s3.env())
                src = long_source(tmp / "long.mp4", args.long, TESTDATA / "cosmoscurate__test_clip_10s.mp4",
                                  args.long_bitrate)
                ranged = split_in_ranges(s3, src, tmp / "long", args.range_s)
        finally:
            s3.stop()
    if not args.only_long:
        _table(dist, emb, len(sources))
    if args.long:
        _ranges_table(ranged, args.long, args.range_s)


def _ranges_table(m, seconds: int, range_s: float) -> None:
    mb = 1 << 20
    print(f"long source: {seconds} s, {m.source_bytes / mb:.2f} MiB, {len(m.ranges)} ranges of {range_s:g} s, "
          "each task with a cache of its own")
    print()
    print("| task | MiB read | GETs | per source byte | decoded outside its own frames (MiB) | wall s |")
    print("|---|---|---|---|---|---|")
    print(f"| plan | {m.plan / mb:.2f} | {m.plan_gets} | {m.plan / m.source_bytes:.3f} | | {m.plan_seconds:.1f} |")
    for r in m.ranges:
        a, b = r["range"]
        print(f"| range [{a}, {b}) | {r['read'] / mb:.2f} | {r['gets']} | {r['read'] / m.source_bytes:.3f} "
              f"| {r['overlap'] / mb:.2f} | {r['seconds']:.1f} |")
    print(f"| split stage | {m.split / mb:.2f} | {m.plan_gets + sum(r['gets'] for r in m.ranges)} "
          f"| {m.split / m.source_bytes:.3f} | {m.overlap / mb:.2f} "
          f"| {m.plan_seconds + sum(r['seconds'] for r in m.ranges):.1f} |")


def _table(dist, emb, n_sources: int) -> None:
    mb = 1 << 20
    print(f"sources: {n_sources}, {dist.source_bytes / mb:.2f} MiB; accepted clips: {dist.clips} "
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
