"""One open clip during the streaming pass: its motion samples and sample frames.

Frames arrive in decode order once their scene membership is final. The builder computes
data-juicer's motion flow pairs as frames arrive (on a thread pool, in parallel with decoding) and
keeps only the sample frames later stages asked for.
"""

from __future__ import annotations

from concurrent.futures import Executor, Future
from dataclasses import dataclass, field

import numpy as np

from vidsift.frames import positions_for, shrink
from vidsift.ops.base import Decision, FrameRequest

from .motion import MotionConfig, combine, flow_magnitude, nominal_step, prepare, sample_positions, score_frames
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
    motion: float | None
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
    motion_cfg: MotionConfig | None
    requests: tuple[FrameRequest, ...]
    pool: Executor | None
    n: int = 0
    keyframes: list[int] = field(default_factory=list)
    _samples: dict[int, np.ndarray] = field(default_factory=dict)
    _buffer: dict[int, np.ndarray] | None = None
    _early: list[np.ndarray] = field(default_factory=list)
    _flows: list[Future | float] = field(default_factory=list)
    _prev: np.ndarray | None = None
    _thumb: np.ndarray | None = None

    def __post_init__(self):
        if any(r.method == "uniform" for r in self.requests):
            self._buffer = {}
        if self.motion_cfg is not None:
            self._step = nominal_step(self.fps, self.motion_cfg.sampling_fps)
            # Positions for a clip of unknown length: the sequence is a prefix of the infinite one.
            self._seq = sample_positions(1 << 62, self._step)
            self._next = next(self._seq)

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
        if self.motion_cfg is not None:
            self._add_motion(rel, frame)

    def _add_motion(self, rel: int, frame: np.ndarray) -> None:
        cfg = self.motion_cfg
        needed = rel == self._next
        grey = prepare(frame, cfg) if (needed or rel <= self._step) else None
        if rel <= self._step:
            self._early.append(grey)  # a clip shorter than step+1 frames uses a smaller step
        while rel == self._next:
            if self._prev is not None:
                self._flows.append(self._submit(self._prev, grey))
            self._prev = grey
            self._next = next(self._seq)

    def _submit(self, a: np.ndarray, b: np.ndarray):
        if self.pool is None:
            return flow_magnitude(a, b, self.motion_cfg)
        return self.pool.submit(flow_magnitude, a, b, self.motion_cfg)

    def close(self, end: int, end_t: float) -> ClosedClip:
        total = end - self.start
        motion = None
        if self.motion_cfg is not None:
            if total - 1 < self._step:
                motion = score_frames(self._early[:total], total, self.fps, self.motion_cfg)
                for f in self._flows:
                    if isinstance(f, Future):
                        f.cancel()
            else:
                motion = combine([f.result() if isinstance(f, Future) else f for f in self._flows])
        return ClosedClip(self.scene, self.start, end, self.start_t, end_t, motion,
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
