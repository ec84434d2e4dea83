"""Scenes and duration pieces over committed frames, cut by presentation time on data-juicer's grid.

A frame lasts from its presentation time to the next frame's (the last frame: its duration from the
container, else 1/fps). With ``s0`` the scene's first frame's time and ``d`` the split duration, piece
k holds the frames that start at or after ``s0 + k·d`` and end at or before ``s0 + (k+1)·d``. So
pieces never drift off data-juicer's grid (``np.arange(0, scene_duration, d)``) and never last longer
than ``d``; a frame straddling a grid line belongs to no piece (at 29.97 fps the 90th frame of a 3 s
window ends at 3.003 s: 89-frame pieces, one frame between them). A clip's duration is its last
frame's end minus its first frame's start.

``min_last_split_duration`` applies to a scene's last piece, the one cut short by the scene's end. A
scene that lasts no longer than ``d`` is not split at all and is kept whole, whatever its length, as
data-juicer 1.6.1 does (``if video_duration <= split_duration: return [video_key]``): the minimum is
about the remainder a split leaves, and a clip's length is judged by ``video_duration_filter``, whose
rejection says so. A dropped last piece is handed on with its rejection (a rejected row, counted),
never silently discarded.
"""

from __future__ import annotations

import heapq
import math

from vidsift.ops.base import Decision

from .clip_builder import ClipBuilder
from .ops.split_by_duration import VideoSplitByDurationMapper

EPS = 1e-6  # seconds: timestamps are microseconds (PySceneDetect's Timecode of OpenCV's POS_MSEC)


def piece_of(start: float, end: float, s0: float, d: float | None) -> int | None:
    """The grid piece a frame [start, end) belongs to, or None if it straddles a grid line."""
    if not d:
        return 0
    k = math.floor((start - s0 + EPS) / d)
    return k if end <= s0 + (k + 1) * d + EPS else None


class Timeline:
    """Presentation times in display order.

    The decoder hands frames out in display order, but some files label them with their packets'
    times in decode order (``opencvdoc__box.mp4``: pts = dts with B-frames, so the reported times jump
    back and forth by up to 0.1 s). The i-th frame out presents at the i-th smallest time, so a frame
    takes the smallest time not yet taken among the frames decoded so far; with a look-ahead deeper
    than the stream's reordering this is exact, and on well-formed files it is the reported time.
    """

    def __init__(self):
        self._heap: list[float] = []

    def push(self, t: float) -> None:
        heapq.heappush(self._heap, t)

    def pop(self) -> float:
        return heapq.heappop(self._heap)

    def peek(self) -> float | None:
        return self._heap[0] if self._heap else None


class Pieces:
    """Scene and piece boundaries over committed frames; opens and closes ClipBuilders.

    ``cfg`` is a ScanConfig and ``window`` a scan Window (or None for a whole pass).
    """

    def __init__(self, cfg, fps: float, on_clip, window=None):
        self.cfg, self.fps, self.on_clip, self.window = cfg, fps, on_clip, window
        self.pool = None
        self.stopped = False  # a range scan has closed its last owned scene
        self.scene = -1  # the open scene's first frame
        self.scene_t: float | None = None  # the open scene's first frame's time; None: no scene open
        self.clip: ClipBuilder | None = None
        self.piece = -1  # grid index of the open clip
        self.clip_end_t = 0.0  # end of the open clip's last frame
        self.committed = -1
        self.scenes: list[tuple[int, int]] = []
        self.dropped = 0

    def commit(self, index: int, t: float, end_t: float, frame, is_key: bool, cuts: set[int]) -> None:
        """Place frame ``index``, presented over [t, end_t); ``cuts`` holds the scenes' first frames."""
        self.committed = index
        w, open_ = self.window, self.scene_t is not None
        if w is not None and index >= w.own_end and (not open_ or index in cuts):
            # The scene open at the range's end has ended (or none was open): the next range's.
            if open_:
                self._end_scene(index)
            self.stopped = True
            return
        if w is not None and not open_ and (index < w.own_start or not (index in cuts or index == 0)):
            return  # warm-up, or the tail of a scene that started in the previous range
        if not open_ or index in cuts:
            if open_:
                self._end_scene(index)
            # A scene is named by its first frame: the same number whichever range task found it.
            self.scene, self.scene_t = index, t
            self.scenes.append((index, index))
        k = piece_of(t, end_t, self.scene_t, self.cfg.split_duration)
        if self.clip is not None and k != self.piece:
            self._close(scene_end=False)  # the piece's window is over
        if k is None:
            return  # straddles a grid line: in no piece
        if self.clip is None:
            self.clip = ClipBuilder(self.scene, index, t, self.fps, self.cfg.measures, self.cfg.requests, self.pool)
            self.piece = k
        self.clip.add(index, frame, is_key)
        self.clip_end_t = end_t

    def finish(self, end: int) -> None:
        if self.scene_t is not None:
            self._end_scene(end)

    def _end_scene(self, index: int) -> None:
        self._close(scene_end=True)
        self.scenes[-1] = (self.scenes[-1][0], index)
        self.scene_t = None

    def _close(self, scene_end: bool) -> None:
        clip, self.clip = self.clip, None
        if clip is None:
            return
        closed = clip.close(clip.start + clip.n, self.clip_end_t)
        if scene_end and self.piece > 0 and self.cfg.split_duration:
            lasts = closed.end_t - closed.start_t
            if lasts < self.cfg.min_last_split_duration - EPS:
                self.dropped += 1
                closed.rejection = Decision(
                    VideoSplitByDurationMapper.name, False, {"video_duration": round(lasts, 6)},
                    f"last piece of its scene lasts {lasts:.3f} s < min_last_split_duration "
                    f"{self.cfg.min_last_split_duration:g} s")
        self.on_clip(closed)
