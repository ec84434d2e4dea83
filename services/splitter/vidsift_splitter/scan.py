"""The splitter's single streaming pass over a source.

Frames are decoded once, with PySceneDetect's own OpenCV backend, and each frame feeds (1) the scene
detector exactly as ``scenedetect.detect(..., start_in_scene=True)`` feeds it (same downscale, same
positions), and (2) after a short lag that makes its scene final, the open clip's motion samples and
sample frames. The lag is the detector's event buffer: a detector may report a cut up to that many
frames in the past. Memory is bounded by the lag and one clip's small sample frames, whatever the
video's length.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Callable

import numpy as np

from vidsift.ops.base import FrameRequest

from .clip_builder import ClipBuilder, ClosedClip
from .errors import InputError
from .motion import MotionConfig

log = logging.getLogger(__name__)
EPS = 1e-6
READ_AHEAD = 4  # decoded frames queued between the decode thread and the detector (as SceneManager)


@dataclass(frozen=True)
class ScanConfig:
    detector: Callable[[], object] | None = None  # builds a fresh PySceneDetect detector; None: no scene split
    split_duration: float | None = None  # data-juicer's video_split_by_duration_mapper, per scene
    min_last_split_duration: float = 0.0
    motion: MotionConfig | None = None
    requests: tuple[FrameRequest, ...] = ()


@dataclass(frozen=True)
class Window:
    """A range task's part of the source (decode indices, source-absolute).

    Decoding starts at ``start`` (the warm-up: the detector sees these frames, no clip is built);
    the task owns the scenes whose first frame lies in [own_start, own_end) and decodes on past
    own_end until the scene open there ends.
    """

    start: int
    own_start: int
    own_end: int


class SeekMismatch(InputError):
    """A seek did not land on the frame index the range expects (the caller rescans from 0)."""

    def __init__(self, message: str):
        super().__init__("seek_mismatch", message)


@dataclass
class ScanResult:
    fps: float
    frames: int
    width: int
    height: int
    scenes: list[tuple[int, int]]  # decoded-frame spans of the detected scenes
    scene_timecodes: list[tuple[object, object]]  # PySceneDetect FrameTimecode pairs, as detect() gives
    dropped: int  # duration-split tails shorter than min_last_split_duration (data-juicer drops them)
    eof: bool = True  # False: a range scan stopped after its last owned scene
    exact: bool = True  # a range scan's cuts are certified equal to a whole pass's (sync.py)


def _reader(video, out: queue.Queue, stop: threading.Event, index: int = 0) -> None:
    try:
        while not stop.is_set():
            frame = video.read()
            if frame is False:
                break
            out.put((index, frame, video.position))
            index += 1
        # SceneManager takes the end position after the last read; it can differ from the last
        # frame's own position (files whose timestamps stop being reported at EOF).
        out.put(("end", video.position))
    except BaseException as exc:  # noqa: BLE001 - handed to the main thread
        out.put(exc)
    finally:
        out.put(None)


def scan(path: str, cfg: ScanConfig, keyframe_times: tuple[float, ...] = (),
         on_clip: Callable[[ClosedClip], None] = lambda c: None,
         on_open: Callable[[float, int, int, int], None] | None = None,
         progress: Callable[[int, int], None] | None = None, window: Window | None = None) -> ScanResult:
    """Run the pass; ``on_clip`` receives each clip as soon as it is closed.

    With a ``window`` (CFR sources only), decoding starts with a seek to ``window.start`` and only
    the window's scenes become clips; frame indices stay those of a pass from frame 0.
    """
    import cv2
    from scenedetect import open_video
    from scenedetect.scene_manager import compute_downscale_factor, get_scenes_from_cuts

    try:
        video = open_video(path, backend="opencv")
    except Exception as exc:  # noqa: BLE001 - OpenCV reports many kinds of unreadable input
        raise InputError("corrupt_video", f"OpenCV cannot open the video: {exc}") from exc
    fps = float(video.frame_rate)
    total_est = video.duration.frame_num if video.duration is not None else 0
    width, height = video.frame_size
    downscale = compute_downscale_factor(max(video.frame_size))
    if on_open:
        on_open(fps, width, height, total_est)
    detector = cfg.detector() if cfg.detector else None
    first = window.start if window else 0
    shadow = None
    if window is not None:
        from .sync import FlashShadow, above_threshold, supports

        if detector is None or not supports(detector):
            raise ValueError("range scans need a ContentDetector with a frame-count min_scene_len")
        if first > 0:
            video.seek(first)
            shadow = FlashShadow(first, window.own_start, detector._flash_filter._filter_length)
    lag = 2 + max(getattr(detector, "event_buffer_length", 0) or 0, getattr(detector, "_min_scene_len", 0) or 0,
                  getattr(detector, "window_width", 0) or 0) if detector else 0

    keys = deque(sorted(keyframe_times))
    state = _State(cfg, fps, on_clip, window)
    pending: deque = deque()  # (index, t, frame, is_key) awaiting a final scene membership
    recent: deque = deque(maxlen=lag + READ_AHEAD + 8)  # (position, index) to map cut timecodes
    cuts: set[int] = set()
    raw_cuts: list = []
    start_pos = last_pos = end_pos = None
    frame_size = None
    frames_q: queue.Queue = queue.Queue(READ_AHEAD)
    stop = threading.Event()
    reader = threading.Thread(target=_reader, args=(video, frames_q, stop, first), daemon=True)
    workers = min(4, os.cpu_count() or 1)
    with ThreadPoolExecutor(workers, thread_name_prefix="flow") as pool:
        state.pool = pool if cfg.motion else None
        reader.start()
        try:
            while True:
                item = frames_q.get()
                if item is None:
                    break
                if isinstance(item, BaseException):
                    raise InputError("corrupt_video", f"decoding failed: {item}") from item
                if item[0] == "end":
                    end_pos = item[1]
                    continue
                index, frame, position = item
                if window is not None and position.frame_num != index:
                    raise SeekMismatch(f"frame {index} decoded at position {position.frame_num} "
                                       f"({position.seconds:.3f} s) after a seek to {first}")
                t = position.seconds
                is_key = False
                while keys and keys[0] <= t + 0.5 / fps:
                    is_key = is_key or abs(keys[0] - t) <= 0.5 / fps
                    keys.popleft()
                if start_pos is None:
                    start_pos = position
                last_pos = position
                if detector is not None:
                    # SceneManager skips frames whose size differs from the first frame's.
                    size = (frame.shape[1], frame.shape[0])
                    frame_size = frame_size or size
                    if size == frame_size:
                        small = frame
                        if downscale > 1.0:
                            small = cv2.resize(frame, (max(1, round(frame.shape[1] / downscale)),
                                                       max(1, round(frame.shape[0] / downscale))),
                                               interpolation=cv2.INTER_LINEAR)
                        recent.append((position, index))
                        for cut in detector.process_frame(position, small):
                            raw_cuts.append(cut)
                            cuts.add(_index_of(cut, recent, state.committed))
                        if shadow is not None and index > first:
                            shadow.feed(index, above_threshold(detector))
                pending.append((index, t, frame, is_key))
                while len(pending) > lag and not state.stopped:
                    state.commit(*pending.popleft(), cuts)
                if state.stopped:
                    break
                if progress and index % 25 == 0:
                    progress(index, total_est)
        finally:
            stop.set()
            while reader.is_alive():
                try:
                    frames_q.get_nowait()
                except queue.Empty:
                    reader.join(0.05)
        if last_pos is None:
            raise InputError("no_decodable_frames", "the video stream has no decodable frames")
        end_pos = end_pos if end_pos is not None else last_pos
        eof = not state.stopped
        if detector is not None and eof:
            for cut in detector.post_process(end_pos):
                raw_cuts.append(cut)
                cuts.add(_index_of(cut, recent, state.committed))
        while pending and not state.stopped:
            state.commit(*pending.popleft(), cuts)
        end_index = state.committed + 1
        if not state.stopped:
            state.finish(end_index, last_pos.seconds + 1.0 / fps)
    if progress:
        progress(end_index, end_index)
    if window is not None:  # the whole pass's cuts are not known here: no timecode pairs
        exact = shadow is None or shadow.exact(state.committed)
        return ScanResult(fps, end_index, width, height, state.scenes, [], state.dropped, eof, exact)
    scene_tcs = get_scenes_from_cuts(sorted(set(raw_cuts)), start_pos, end_pos + 1) if detector else []
    return ScanResult(fps, end_index, width, height, state.scenes, scene_tcs, state.dropped)


def _index_of(cut, recent: deque, committed: int) -> int:
    for position, index in reversed(recent):
        if position == cut:
            if index <= committed:
                log.warning("scene cut at frame %d arrived after the frame was committed; ignored", index)
            return index
    log.warning("scene cut %s is older than the detector's declared lag; ignored", cut)
    return -1


class _State:
    """Scene and piece boundaries over committed frames; opens and closes ClipBuilders."""

    def __init__(self, cfg: ScanConfig, fps: float, on_clip, window: Window | None = None):
        self.cfg, self.fps, self.on_clip, self.window = cfg, fps, on_clip, window
        self.pool = None
        self.stopped = False  # a range scan has closed its last owned scene
        self.scene = -1  # the open scene's first frame
        self.clip: ClipBuilder | None = None
        self.committed = -1
        self.scenes: list[tuple[int, int]] = []
        self.dropped = 0

    def _open(self, index: int, t: float) -> None:
        self.clip = ClipBuilder(self.scene, index, t, self.fps, self.cfg.motion, self.cfg.requests, self.pool)

    def _close(self, end: int, end_t: float, scene_end: bool) -> None:
        clip = self.clip
        self.clip = None
        if clip is None:
            return
        closed = clip.close(end, end_t)
        if scene_end and self.cfg.split_duration and end_t - clip.start_t < self.cfg.min_last_split_duration - EPS:
            self.dropped += 1
            return
        self.on_clip(closed)

    def commit(self, index: int, t: float, frame: np.ndarray, is_key: bool, cuts: set[int]) -> None:
        self.committed = index
        w = self.window
        if w is not None and index >= w.own_end and (self.clip is None or index in cuts):
            # The scene open at the range's end has ended (or none was open): the next range's.
            if self.clip is not None:
                self._close(index, t, scene_end=True)
                self.scenes[-1] = (self.scenes[-1][0], index)
            self.stopped = True
            return
        if w is not None and self.clip is None and (index < w.own_start or not (index in cuts or index == 0)):
            return  # warm-up, or the tail of a scene that started in the previous range
        if self.clip is None or index in cuts:
            if self.clip is not None:
                self._close(index, t, scene_end=True)
                self.scenes[-1] = (self.scenes[-1][0], index)
            # A scene is named by its first frame: the same number whichever range task found it.
            self.scene = index
            self.scenes.append((index, index))
            self._open(index, t)
        elif self.cfg.split_duration and t + 1.0 / self.fps - self.clip.start_t > self.cfg.split_duration + EPS:
            # A frame that would end past the piece's split_duration starts the next piece, so a piece
            # never lasts longer than split_duration (at 29.97 fps a 3 s piece is 89 frames, 2.97 s;
            # counting frames that merely *start* before 3 s gives 90 frames, 3.003 s, which the
            # reference scheme's 1-3 s duration filter would reject). Pieces follow each other from
            # the scene's start, as data-juicer's do.
            self._close(index, t, scene_end=False)
            self._open(index, t)
        self.clip.add(index, frame, is_key)

    def finish(self, end: int, end_t: float) -> None:
        if self.scenes:
            self.scenes[-1] = (self.scenes[-1][0], end)
        self._close(end, end_t, scene_end=True)
