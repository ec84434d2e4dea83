"""Motion scores: vidsift's one-pass computation against data-juicer's own way, in one run.

data-juicer's way (vidsift_splitter.motion.reference_motion_score): OpenCV capture, a seek before
every sample, Farneback on full-resolution grey frames. vidsift: one sequential decode, flows on a
thread pool while decoding continues. Both must give the same score (checked here to 1e-4). The
opt-in fast mode (data-juicer's own max_size downscale) is timed on 1-3 s clips and its rank
agreement (Spearman) with the exact score printed.
Usage: .venv/bin/python bench/motion.py [MAX_SIZE]
"""

from __future__ import annotations

import sys
import time
from functools import partial

import numpy as np
from scenedetect.detectors import ContentDetector

from _util import VIDEOS, table
from vidsift_splitter.motion import MotionConfig, MotionMeasure, reference_motion_score
from vidsift_splitter.scan import ScanConfig, scan

NAMES = ["datajuicer__video1.mp4", "datajuicer__video2.mp4", "datajuicer__video3.mp4"]


def spearman(a, b) -> float:
    ra, rb = np.argsort(np.argsort(a)), np.argsort(np.argsort(b))
    return float(np.corrcoef(ra, rb)[0, 1])


def clips_scores(path: str, cfg: MotionConfig) -> tuple[list[float], float]:
    clips = []
    t = time.perf_counter()
    scan(path, ScanConfig(detector=lambda: ContentDetector(27.0, 10), split_duration=3.0,
                          min_last_split_duration=1.0, measures=(partial(MotionMeasure, cfg),)),
         on_clip=clips.append)
    return [c.stats["video_motion_score"] for c in clips], time.perf_counter() - t


def main(max_size: int) -> None:
    rows, exact_all, fast_all = [], [], []
    t_dj = t_vs = t_exact_clips = t_fast_clips = 0.0
    for name in NAMES:
        path = str(VIDEOS / name)
        t = time.perf_counter()
        dj = reference_motion_score(path)
        d1 = time.perf_counter() - t
        clips = []
        t = time.perf_counter()
        scan(path, ScanConfig(measures=(partial(MotionMeasure, MotionConfig()),)), on_clip=clips.append)
        d2 = time.perf_counter() - t
        ours = clips[0].stats["video_motion_score"]
        assert abs(ours - dj) <= 1e-4, (name, ours, dj)
        rows.append([name, f"{dj:.6f}", f"{ours:.6f}", f"{d1:.2f}", f"{d2:.2f}", f"{d2 / d1:.2f}x"])
        t_dj += d1
        t_vs += d2
        exact, te = clips_scores(path, MotionConfig())
        fast, tf = clips_scores(path, MotionConfig(max_size=max_size))
        exact_all += exact
        fast_all += fast
        t_exact_clips += te
        t_fast_clips += tf
    rows.append(["all", "", "", f"{t_dj:.2f}", f"{t_vs:.2f}", f"{t_vs / t_dj:.2f}x"])
    print(table(rows, ["video", "data-juicer score", "vidsift score", "data-juicer s", "vidsift s", "vidsift / dj"]))
    print()
    print(table([["exact (full resolution)", len(exact_all), f"{t_exact_clips:.2f}", "1.00x", "1.000"],
                 [f"fast (max_size={max_size})", len(fast_all), f"{t_fast_clips:.2f}",
                  f"{t_exact_clips / t_fast_clips:.2f}x", f"{spearman(exact_all, fast_all):.3f}"]],
                ["1-3 s clips, split + motion", "clips", "seconds", "speed-up", "Spearman vs exact"]))


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 256)
