"""Check a written output from its MP4 boxes: size, frame count, index first (no process started).

An ffprobe per output cost about 0.12 s, a sixth of a 1080p clip's whole resize; the answer is three
numbers in the ``moov`` box, which ``+faststart`` puts in the first bytes of the file.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from vidsift.analysis.mp4 import boxes

HEAD_BYTES = 1 << 20  # a faststart moov for a few seconds of video is a few KiB


@dataclass(frozen=True)
class Mp4Video:
    width: int
    height: int
    frames: int
    faststart: bool  # moov before mdat


def _child(buf: bytes, start: int, end: int, kind: bytes) -> tuple[int, int] | None:
    return next(((s, e) for k, s, e in boxes(buf, start, end) if k == kind), None)


def read_video(path: str) -> Mp4Video | None:
    """The first video track's size and sample count, or None when the head holds no such moov."""
    with open(path, "rb") as fh:
        buf = fh.read(HEAD_BYTES)
    top = [(k, s, e) for k, s, e in boxes(buf, 0, len(buf))]
    kinds = [k for k, _, _ in top]
    moov = next(((s, e) for k, s, e in top if k == b"moov"), None)
    if moov is None:
        return None
    faststart = b"mdat" not in kinds or kinds.index(b"moov") < kinds.index(b"mdat")
    for kind, s, e in boxes(buf, *moov):
        try:
            if kind == b"trak":
                video = _video_track(buf, s, e, faststart)
                if video:
                    return video
        except (TypeError, struct.error):  # a box missing or cut off: not a file ffmpeg finished
            return None
    return None


def _video_track(buf: bytes, start: int, end: int, faststart: bool) -> Mp4Video | None:
    mdia = _child(buf, start, end, b"mdia")
    hdlr = _child(buf, *mdia, b"hdlr")
    if buf[hdlr[0] + 8:hdlr[0] + 12] != b"vide":
        return None
    tkhd = _child(buf, start, end, b"tkhd")
    stsz = _child(buf, *_child(buf, *_child(buf, *mdia, b"minf"), b"stbl"), b"stsz")
    # tkhd ends with the display width and height (16.16 fixed point); stsz: flags, size, count
    width, height = (v >> 16 for v in struct.unpack_from(">II", buf, tkhd[1] - 8))
    frames = struct.unpack_from(">I", buf, stsz[0] + 8)[0]
    return Mp4Video(width, height, frames, faststart)
