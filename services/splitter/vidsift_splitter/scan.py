"""The splitter's single streaming pass over a source.

Frames are decoded once, with PySceneDetect's own OpenCV backend, and each frame feeds (1) the scene
detector exactly as ``scenedetect.detect(..., start_in_scene=True)`` feeds it (same downscale, same
positions), and (2) after a short lag that makes its scene final, the open clip's measures (motion) and
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

from vidsift.ops.base import FrameMeasure, FrameRequest

from .clip_builder import ClosedClip
from .errors import InputError
from .pieces import Pieces, Timeline
from .window import Keys

log = logging.getLogger(__name__)
READ_AHEAD = 4  # decoded frames queued between the decode thread and the detector (as SceneManager)
# Frames held back before one is placed: its end is the next frame's time, and display times are
# sorted back into order over this many frames (pieces.Timeline; H.264 B-pyramids reorder fewer).
REORDER = 8


@dataclass(frozen=True)
class ScanConfig:
    detector: Callable[[], object] | None = None  # builds a fresh PySceneDetect detector; None: no scene split
    split_duration: float | None = None  # data-juicer's video_split_by_duration_mapper, per scene
    min_last_split_duration: float = 0.0
    # per measuring op of the recipe (MeasuredFilter.measure): (fps, pool) -> one clip's FrameMeasure
    measures: tuple[Callable[..., FrameMeasure], ...] = ()
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
    dropped: int  # last pieces shorter than min_last_split_duration (handed on as rejected clips)
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


def scan(path: str, cfg: ScanConfig, keyframe_times: "tuple[float, ...] | Keys" = (),
         on_clip: Callable[[ClosedClip], None] = lambda c: None,
         on_open: Callable[[float, int, int, int], None] | None = None,
         progress: Callable[[int, int], None] | None = None, window: Window | None = None) -> ScanResult:
    """Run the pass; ``on_clip`` receives each clip as soon as it is closed (pieces.py says how
    frames become pieces; a last piece under ``min_last_split_duration`` comes with its rejection).

    With a ``window`` (CFR sources only), decoding starts with a seek to ``window.start`` and only
    the window's scenes become clips; frame indices stay those of a pass from frame 0.
    """
    import cv2
    from scenedetect import open_video
    from scenedetect.scene_manager import compute_downscale_factor, get_scenes_from_cuts

    try:
        video = open_video(path, backend="opencv")
    except Exception as exc:  # OpenCV reports many kinds of unreadable input
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

    keys = keyframe_times if isinstance(keyframe_times, Keys) else Keys(keyframe_times)
    state = Pieces(cfg, fps, on_clip, window)
    times = Timeline()
    pending: deque = deque()  # (index, frame) awaiting a final scene membership and display time
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
        state.pool = pool if cfg.measures else None
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
                pending.append((index, frame))
                times.push(t)
                while len(pending) > max(lag, REORDER) and not state.stopped:
                    _commit(state, pending, times, keys, fps, cuts, None)
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
        last = None
        while pending and not state.stopped:
            if last is None and len(pending) == 1:  # the last frame: its duration from the container
                last = last_frame_duration(path) or 1.0 / fps
            _commit(state, pending, times, keys, fps, cuts, last)
        end_index = state.committed + 1
        if not state.stopped:
            state.finish(end_index)
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


def _commit(state: Pieces, pending: deque, times: Timeline, keys: Keys, fps: float, cuts: set[int],
            last: float | None) -> None:
    """Place the oldest pending frame: it presents from the earliest time not yet taken to the next.

    Key frames are matched on that display time, which only grows: on raw reported times, which can
    jump ahead (pieces.Timeline), a key would be passed over before the frame that carries it came."""
    index, frame = pending.popleft()
    t = times.pop()
    is_key = keys.match(t, 0.5 / fps)
    nxt = times.peek()
    state.commit(index, t, nxt if nxt is not None else t + last, frame, is_key, cuts)


def last_frame_duration(path: str) -> float | None:
    """The container's duration of the last frame (its packet's), read from the last key frame on.

    None when the container does not say (no duration, a seek it cannot do): the caller takes 1/fps.
    """
    import av

    try:
        with av.open(path, metadata_errors="ignore") as container:
            stream = container.streams.video[0]
            end = (stream.start_time or 0) + (stream.duration or 0)
            container.seek(max(end, 1 << 40), stream=stream, backward=True, any_frame=False)
            pts, duration = None, None
            for packet in container.demux(stream):
                if packet.pts is not None and (pts is None or packet.pts >= pts):
                    pts, duration = packet.pts, packet.duration
            if duration and stream.time_base:
                return float(duration * stream.time_base)
    except Exception as exc:  # noqa: BLE001 - any reading problem: fall back to 1/fps
        log.debug("%s: no last-frame duration from the container: %s", path, exc)
    return None
