"""A range task's own demux: the key frames and packet times of the part of the source it decodes.

The planner of a long source reads only the container's header: a demux of the whole source (for key
frames and the frame index) would read every byte once before the ranges read them again, twice in all
on split workers that do not share a cache. Instead each range task demuxes its own window with PyAV,
alongside OpenCV's decode of the same bytes (the task's block cache serves both), and stores its part
of the frame index; the last range to finish joins the parts (``vidsift.frameindex``).

Key flags are the demuxer's (for H.264, the parser's, from the payload: the container's sync-sample
table alone does not give them), so they equal a whole-source demux's: the same packets, the same flags.
"""

from __future__ import annotations

import heapq
from collections import deque
from fractions import Fraction

REORDER_S = 1.0  # how far a packet's time may precede an earlier-demuxed one's when no dts is given


class Keys:
    """Key-frame times (seconds from the stream start) in ascending order, consumed as frames commit."""

    def __init__(self, times=()):
        self._q = deque(sorted(times))

    def _upto(self, limit: float) -> None:
        """Make sure every key frame at or before ``limit`` is queued."""

    def match(self, t: float, tol: float) -> bool:
        """Is the frame displayed at ``t`` a key frame? Keys up to it are consumed."""
        self._upto(t + tol)
        is_key = False
        while self._q and self._q[0] <= t + tol:
            is_key = is_key or abs(self._q[0] - t) <= tol
            self._q.popleft()
        return is_key

    def close(self) -> None:
        pass


def _open(path: str):
    """PyAV on ``path``; on a remote source's loopback URL with a small receive buffer, as OpenCV's,
    or the kernel lets the demux run megabytes ahead of the decode (storage/mediaserver.py)."""
    import av

    from vidsift.storage.mediaserver import RECV_BUFFER

    options = {"recv_buffer_size": str(RECV_BUFFER)} if path.startswith("http") else {}
    return av.open(path, metadata_errors="ignore", options=options)


def key_frame_before(path: str, frame: int, fps: float) -> int:
    """The frame index of the key frame a backward seek to ``frame`` lands on (the container's index:
    a few blocks read, not the source); 0 when the container cannot tell."""
    if frame <= 0:
        return 0
    with _open(path) as container:
        stream = container.streams.video[0]
        tb, start = stream.time_base or Fraction(1, 1000), stream.start_time or 0
        container.seek(start + int(Fraction(frame) / Fraction(fps) / tb), stream=stream, backward=True)
        for packet in container.demux(stream):
            if packet.pts is not None:
                return max(0, min(frame, round(float((packet.pts - start) * tb) * fps)))
    return 0


class WindowKeys(Keys):
    """Key frames read lazily from a demux that starts at the key frame of ``first`` (a frame index):
    only as far ahead of the decode as the next key frame. Every packet time is kept for the index part."""

    def __init__(self, path: str, fps: float, first: int):
        super().__init__()
        self.fps = fps
        self._container = _open(path)
        stream = self._container.streams.video[0]
        self._tb, self._start = stream.time_base or Fraction(1, 1000), stream.start_time or 0
        if first > 0:
            self._container.seek(self._start + int(Fraction(first) / Fraction(fps) / self._tb), stream=stream,
                                 backward=True)
        self._packets = self._container.demux(stream)
        self._pending: list[float] = []  # key times demuxed, not yet known to be the next in order
        self.times: list[float] = []  # every packet's index time (vidsift.frameindex.index_time)
        self.keys: list[float] = []
        self.complete = True
        self._reached = float("-inf")  # every packet displayed before this time has been demuxed

    def _upto(self, limit: float) -> None:
        import av

        from vidsift.frameindex import index_time

        while self._reached <= limit:
            try:
                packet = next(self._packets)
            except StopIteration:
                self._reached = float("inf")
                break
            except av.error.FFmpegError:
                self.complete = False  # a damaged tail: the decoder decides what is valid
                self._reached = float("inf")
                break
            if packet.size == 0 and packet.pts is None and packet.dts is None:
                continue  # the demuxer's end-of-stream flush
            if packet.is_discard:
                continue
            if packet.pts is None:
                self.complete = False
                continue
            t = float((packet.pts - self._start) * self._tb)
            self.times.append(index_time(packet.pts * self._tb))
            if packet.is_keyframe:
                heapq.heappush(self._pending, t)
                self.keys.append(index_time(packet.pts * self._tb))
            # Packets come in decode order, and a packet is displayed no earlier than it is decoded.
            dts = float((packet.dts - self._start) * self._tb) if packet.dts is not None else t - REORDER_S
            self._reached = max(self._reached, dts)
        while self._pending and self._pending[0] <= self._reached:
            self._q.append(heapq.heappop(self._pending))

    def part(self, first: int, end: int) -> dict | None:
        """The frame index of frames [first, end): their times and the key frames up to them, or None
        when the demux does not number them as the decoder does (the resizer then reads its own)."""
        lo, hi = (first - 0.5) / self.fps, (end - 0.5) / self.fps
        self._upto(hi)
        times = sorted(t for t in self.times if lo <= t < hi)
        if not self.complete or len(times) != end - first or any(
                abs(t - (first + i) / self.fps) > 0.5 / self.fps for i, t in enumerate(times)):
            return None
        # Key frames from the demux's start (the key frame the warm-up seeks from, before ``first``): the
        # one before a clip's first frame is among them, for the resizer's seek.
        return {"first": first, "frame_times": times, "keyframes": sorted(t for t in self.keys if t < hi)}

    def close(self) -> None:
        self._container.close()
