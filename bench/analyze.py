"""Benchmark ``vidsift analyze`` against one ffprobe subprocess per file, in the same run.

    .venv/bin/python bench/analyze.py [--copies 30] [--baseline-copies 3] [--workers N]

The 29 test videos are hard-linked ``--copies`` times into a scratch directory (distinct names, one
copy on disk), so every method reads the same warm page cache. ffprobe is timed on the first
``--baseline-copies`` copies only (the same mix of videos; it is ~50x slower). Prints files/s per
method, the ratio to sequential ffprobe, and whether the issue's target (>= 50 files/s for local
files, process start included) is met.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "shared"))

from vidsift.analysis import DEFAULT_WORKERS, analyze, scan  # noqa: E402 - after sys.path gets the repo
from vidsift.analysis.inputs import is_video_name  # noqa: E402 - after sys.path gets the repo
from vidsift.config import Settings  # noqa: E402 - after sys.path gets the repo

TESTDATA = (REPO / ".." / "shared" / "testdata" / "videos").resolve()
TARGET_FILES_PER_S = 50


def make_corpus(dest: Path, copies: int) -> list[Path]:
    files = []
    for src in sorted(p for p in TESTDATA.iterdir() if is_video_name(p.name)):
        for i in range(copies):
            link = dest / f"{i:03d}_{src.name}"
            try:
                os.link(src, link)
            except OSError:  # another filesystem: a symlink reads the same bytes
                link.symlink_to(src)
            files.append(link)
    return files


def ffprobe(path: Path) -> dict:
    out = subprocess.run(["ffprobe", "-v", "error", "-show_format", "-show_streams", "-of", "json",
                          str(path)], capture_output=True, text=True)
    return json.loads(out.stdout or "{}")


def timed(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--copies", type=int, default=30)
    ap.add_argument("--baseline-copies", type=int, default=3)
    ap.add_argument("--workers", type=int, default=DEFAULT_WORKERS)
    args = ap.parse_args()
    exe = Path(sys.executable).with_name("vidsift")
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp, "videos")
        corpus.mkdir()
        files = make_corpus(corpus, args.copies)
        uris = [f.as_uri() for f in files]
        few = files[: 29 * args.baseline_copies]
        settings = Settings()
        list(scan(uris[:29], settings, 1))  # warm the page cache and PyAV's imports for everyone
        n, m = len(files), len(few)
        rows = [  # (method, files, seconds)
            ("ffprobe per file, sequential (baseline)", m, timed(lambda: [ffprobe(f) for f in few])),
            (f"ffprobe per file, {args.workers} threads", m,
             timed(lambda: list(ThreadPoolExecutor(args.workers).map(ffprobe, few)))),
            ("vidsift scan, 1 thread", n, timed(lambda: list(scan(uris, settings, 1)))),
            (f"vidsift analyze(), {args.workers} threads, with reports", n,
             timed(lambda: analyze([str(corpus)], Path(tmp, "out1"), settings, args.workers))),
            ("`vidsift analyze` command (process start, imports, charts)", n,
             timed(lambda: subprocess.run([str(exe), "analyze", str(corpus), "--out", str(Path(tmp, "out2"))],
                                          check=True, capture_output=True))),
        ]
    base = m / rows[0][2]
    print(f"\nlocal files: copies of the {n // args.copies} test videos, warm page cache, "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}\n")
    print(f"{'method':<60} {'files':>6} {'seconds':>8} {'files/s':>9} {'ratio':>7}")
    for name, count, secs in rows:
        print(f"{name:<60} {count:6d} {secs:8.2f} {count / secs:9.1f} {count / secs / base:6.1f}x")
    cmd_rate = n / rows[-1][2]
    verdict = "met" if cmd_rate >= TARGET_FILES_PER_S else "NOT met"
    print(f"\ntarget >= {TARGET_FILES_PER_S} files/s for the command: {verdict} ({cmd_rate:.1f} files/s)")


if __name__ == "__main__":
    main()
