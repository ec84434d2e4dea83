"""data-juicer's motion score, as pure functions over frames.

data-juicer reads the clip with OpenCV, keeps frame 0, reads frame 1 sequentially, then seeks to
step, 2*step, ... (step = round(fps / sampling_fps), at most total_frames - 1, at least 1) and
averages the mean Farneback flow magnitude between consecutive sampled grey frames; a clip with no
flow gets -1. ``sample_positions`` reproduces that sequence so the splitter can compute the same
score from one sequential decode (``MotionMeasure``, the op's measure), and
``reference_motion_score`` is data-juicer's own way (a seek before every sample) kept for tests and
the benchmark.
"""

from __future__ import annotations

from concurrent.futures import Executor, Future
from dataclasses import dataclass
from typing import Iterator

import numpy as np

from vidsift.ops.base import FrameMeasure

FARNEBACK_DEFAULTS = dict(pyr_scale=0.5, levels=3, winsize=15, iterations=3, poly_n=5, poly_sigma=1.2, flags=0)


@dataclass(frozen=True)
class MotionConfig:
    sampling_fps: float = 2.0
    size: tuple[int, ...] | None = None
    max_size: int | None = None
    divisible: int = 1
    relative: bool = False
    farneback: tuple[tuple[str, float], ...] = tuple(FARNEBACK_DEFAULTS.items())


def nominal_step(fps: float, sampling_fps: float) -> int:
    return max(round(fps / min(sampling_fps, fps)), 1) if fps > 0 else 1


def effective_step(fps: float, sampling_fps: float, total_frames: int) -> int:
    return max(min(nominal_step(fps, sampling_fps), total_frames - 1), 1)


def sample_positions(total_frames: int, step: int) -> Iterator[int]:
    """Clip-relative frame positions in data-juicer's read order (duplicates kept: step 1 reads 1 twice)."""
    if total_frames <= 0:
        return
    yield 0
    if total_frames > 1:
        yield 1
    k = step
    while k < total_frames:
        yield k
        k += step


def resized_shape(height: int, width: int, size, max_size, divisible: int = 1) -> tuple[int, int]:
    """(h, w) after data-juicer's size / max_size rule, rounded down to a multiple of divisible."""
    short, long = (width, height) if width <= height else (height, width)
    if size is None:
        new_short, new_long = short, long
    elif len(size) == 1:
        new_short = size[0]
        new_long = int(new_short * long / short)
    else:
        new_short, new_long = min(size), max(size)
    if max_size is not None and new_long > max_size:
        new_short = int(max_size * new_short / new_long)
        new_long = max_size
    if divisible > 1:
        new_short = max(divisible, new_short // divisible * divisible)
        new_long = max(divisible, new_long // divisible * divisible)
    new_w, new_h = (new_short, new_long) if width <= height else (new_long, new_short)
    return new_h, new_w


def prepare(frame_bgr: np.ndarray, cfg: MotionConfig) -> np.ndarray:
    """Resize (if configured, INTER_AREA on the colour frame as data-juicer does) then grey."""
    import cv2

    h, w = frame_bgr.shape[:2]
    nh, nw = resized_shape(h, w, cfg.size, cfg.max_size, cfg.divisible)
    if (nh, nw) != (h, w):
        frame_bgr = cv2.resize(frame_bgr, (nw, nh), interpolation=cv2.INTER_AREA)
    return cv2.cvtColor(frame_bgr, cv2.COLOR_BGR2GRAY)


def flow_magnitude(prev_grey: np.ndarray, grey: np.ndarray, cfg: MotionConfig) -> float:
    import cv2

    flow = cv2.calcOpticalFlowFarneback(prev_grey, grey, None, **dict(cfg.farneback))
    mag, _ = cv2.cartToPolar(flow[..., 0], flow[..., 1])
    score = float(np.mean(mag))
    if cfg.relative:
        score /= float(np.hypot(*flow.shape[:2]))
    return score


def combine(flows: list[float]) -> float:
    return float(np.mean(flows)) if flows else -1.0


def score_frames(greys: list[np.ndarray], total_frames: int, fps: float, cfg: MotionConfig) -> float:
    """Score a clip whose prepared grey frames (clip-relative 0..n-1) are all at hand."""
    step = effective_step(fps, cfg.sampling_fps, total_frames)
    seq = [p for p in sample_positions(total_frames, step) if p < len(greys)]
    return combine([flow_magnitude(greys[a], greys[b], cfg) for a, b in zip(seq, seq[1:])])


def reference_motion_score(path: str, cfg: MotionConfig = MotionConfig(), start: int = 0, end: int | None = None) -> float:
    """data-juicer's way: OpenCV capture, a seek before every sample, full-resolution Farneback.

    ``start``/``end`` restrict it to a frame span as if that span were its own file.
    """
    import cv2

    cap = cv2.VideoCapture(path)
    try:
        if not cap.isOpened():
            return -1.0
        fps = cap.get(cv2.CAP_PROP_FPS)
        count = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
        # A whole file is read until a read fails (as data-juicer does); a span stops at its end.
        total = count if end is None else end - start
        limit = float("inf") if end is None else total
        step = effective_step(fps, cfg.sampling_fps, total)
        flows, prev, pos = [], None, 0
        if start:
            cap.set(cv2.CAP_PROP_POS_FRAMES, start)
        while pos < limit:
            ok, frame = cap.read()
            if not ok:
                break
            grey = prepare(frame, cfg)
            if prev is None:
                prev = grey
                pos = 1
                continue
            flows.append(flow_magnitude(prev, grey, cfg))
            prev = grey
            pos = step * len(flows)
            cap.set(cv2.CAP_PROP_POS_FRAMES, start + pos)
        return combine(flows)
    finally:
        cap.release()


class MotionMeasure(FrameMeasure):
    """One clip's motion score from the sequential decode: data-juicer's sampled flow pairs, each
    computed on the pool (in parallel with decoding) as soon as both frames have arrived."""

    STAT = "video_motion_score"

    def __init__(self, cfg: MotionConfig, fps: float, pool: Executor | None = None):
        self.cfg, self.fps, self.pool = cfg, fps, pool
        self._step = nominal_step(fps, cfg.sampling_fps)
        # Positions for a clip of unknown length: the sequence is a prefix of the infinite one.
        self._seq = sample_positions(1 << 62, self._step)
        self._next = next(self._seq)
        self._early: list[np.ndarray] = []  # a clip shorter than step+1 frames uses a smaller step
        self._flows: list[Future | float] = []
        self._prev: np.ndarray | None = None

    def add(self, rel: int, frame: np.ndarray) -> None:
        needed = rel == self._next
        grey = prepare(frame, self.cfg) if (needed or rel <= self._step) else None
        if rel <= self._step:
            self._early.append(grey)
        while rel == self._next:
            if self._prev is not None:
                self._flows.append(self._submit(self._prev, grey))
            self._prev = grey
            self._next = next(self._seq)

    def _submit(self, a: np.ndarray, b: np.ndarray) -> Future | float:
        if self.pool is None:
            return flow_magnitude(a, b, self.cfg)
        return self.pool.submit(flow_magnitude, a, b, self.cfg)

    def close(self, total: int) -> dict[str, float]:
        if total - 1 < self._step:
            for f in self._flows:
                if isinstance(f, Future):
                    f.cancel()
            return {self.STAT: score_frames(self._early[:total], total, self.fps, self.cfg)}
        return {self.STAT: combine([f.result() if isinstance(f, Future) else f for f in self._flows])}
