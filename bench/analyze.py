"""Benchmark ``vidsift analyze`` against one ffprobe subprocess per file, in the same run.

    .venv/bin/python bench/analyze.py [--copies 10] [--workers N]

The 29 test videos are hard-linked ``--copies`` times into a scratch directory (distinct names, one
copy on disk), so every method reads the same warm page cache. Prints files/s per method, the ratio
to sequential ffprobe, and whether the issue's target (>= 50 files/s, local files) is met.
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

from vidsift.analysis import DEFAULT_WORKERS, analyze, scan  # noqa: E402
from vidsift.analysis.inputs import is_video_name  # noqa: E402
from vidsift.config import Settings  # noqa: E402

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
    ap.add_argument("--copies", type=int, default=10)
    ap.add_argument("--workers", type=int, default=DEFAULT_WORKERS)
    args = ap.parse_args()
    exe = Path(sys.executable).with_name("vidsift")
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp, "videos")
        corpus.mkdir()
        files = make_corpus(corpus, args.copies)
        uris = [f.as_uri() for f in files]
        settings = Settings()
        list(scan(uris[:29], settings, 1))  # warm the page cache and PyAV's imports for everyone
        rows = [
            ("ffprobe per file, sequential (baseline)", timed(lambda: [ffprobe(f) for f in files])),
            (f"ffprobe per file, {args.workers} threads",
             timed(lambda: list(ThreadPoolExecutor(args.workers).map(ffprobe, files)))),
            ("vidsift scan, 1 thread", timed(lambda: list(scan(uris, settings, 1)))),
            (f"vidsift analyze(), {args.workers} threads, with reports",
             timed(lambda: analyze([str(corpus)], Path(tmp, "out1"), settings, args.workers))),
            ("`vidsift analyze` command (process start, imports, charts)",
             timed(lambda: subprocess.run([str(exe), "analyze", str(corpus), "--out", str(Path(tmp, "out2"))],
                                          check=True, capture_output=True))),
        ]
    n = len(files)
    base = n / rows[0][1]
    print(f"\n{n} local files ({args.copies} x {n // args.copies} test videos), warm page cache, "
          f"{os.cpu_count()} CPUs\n")
    print(f"{'method':<60} {'seconds':>8} {'files/s':>9} {'ratio':>7}")
    for name, secs in rows:
        print(f"{name:<60} {secs:8.2f} {n / secs:9.1f} {n / secs / base:6.1f}x")
    cmd_rate = n / rows[-1][1]
    verdict = "met" if cmd_rate >= TARGET_FILES_PER_S else "NOT met"
    print(f"\ntarget >= {TARGET_FILES_PER_S} files/s for the command: {verdict} ({cmd_rate:.1f} files/s)")


if __name__ == "__main__":
    main()
