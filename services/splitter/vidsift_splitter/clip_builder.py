"""One open clip during the streaming pass: its measures and sample frames.

Frames arrive in decode order once their scene membership is final. The builder feeds each frame to
the measuring ops' accumulators (``MeasuredFilter.measure``: motion computes its flow pairs on a
thread pool, in parallel with decoding) and keeps only the sample frames later stages asked for.
"""

from __future__ import annotations

from concurrent.futures import Executor
from dataclasses import dataclass, field

import numpy as np

from vidsift.frames import positions_for, shrink
from vidsift.ops.base import Decision, FrameMeasure, FrameRequest

from .thumbnails import thumbnail

# Sample frames for uniform requests are chosen when the clip closes (its length decides them), so
# the open clip's frames are kept small; past this many frames we stop buffering and later stages
# decode the few frames they need instead.
MAX_BUFFERED_FRAMES = 180


@dataclass
class ClosedClip:
    scene: int
    start: int
    end: int  # exclusive
    start_t: float
    end_t: float
    stats: dict  # what the measuring ops measured (e.g. video_motion_score)
    keyframes: list[int]  # source frame indices of key frames inside the clip
    frames: dict[int, np.ndarray]  # source frame index -> small BGR sample frame
    rejection: Decision | None = None  # set by the splitter itself (a last piece under min_last_split_duration)
    thumb: np.ndarray | None = None  # a small frame for the report, should the clip be rejected (thumbnails.py)

    @property
    def num_frames(self) -> int:
        return self.end - self.start


@dataclass
class ClipBuilder:
    scene: int
    start: int
    start_t: float
    fps: float
    measures: tuple  # per measuring op: (fps, pool) -> a FrameMeasure for this clip
    requests: tuple[FrameRequest, ...]
    pool: Executor | None
    n: int = 0
    keyframes: list[int] = field(default_factory=list)
    _samples: dict[int, np.ndarray] = field(default_factory=dict)
    _buffer: dict[int, np.ndarray] | None = None
    _measures: list[FrameMeasure] = field(default_factory=list)
    _thumb: np.ndarray | None = None

    def __post_init__(self):
        if any(r.method == "uniform" for r in self.requests):
            self._buffer = {}
        self._measures = [start(self.fps, self.pool) for start in self.measures]

    def add(self, index: int, frame: np.ndarray, is_key: bool) -> None:
        rel = index - self.start
        self.n = rel + 1
        if is_key:
            self.keyframes.append(index)
        if rel == 0 or rel == max(1, round(self.fps / 2)):  # half a second in, when the clip lasts that long
            self._thumb = thumbnail(frame)
        if self.requests:
            if rel == 0 or is_key:
                self._samples[index] = shrink(frame)
            if self._buffer is not None:
                if len(self._buffer) < MAX_BUFFERED_FRAMES:
                    self._buffer[index] = self._samples.get(index) if index in self._samples else shrink(frame)
                else:
                    self._buffer = None
        for m in self._measures:
            m.add(rel, frame)

    def close(self, end: int, end_t: float) -> ClosedClip:
        total = end - self.start
        stats: dict = {}
        for m in self._measures:
            stats.update(m.close(total))
        return ClosedClip(self.scene, self.start, end, self.start_t, end_t, stats,
                          self.keyframes, self._pick_samples(total), thumb=self._thumb)

    def _pick_samples(self, total: int) -> dict[int, np.ndarray]:
        keys_rel = [k - self.start for k in self.keyframes]
        out: dict[int, np.ndarray] = {}
        for req in self.requests:
            for p in positions_for(req, total, self.fps, keys_rel):
                i = self.start + p
                if i in self._samples:
                    out[i] = self._samples[i]
                elif self._buffer is not None and i in self._buffer:
                    out[i] = self._buffer[i]
        return out
