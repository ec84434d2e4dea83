"""The display rotation of an MP4/MOV video track, read from its ``tkhd`` box.

PyAV exposes the display matrix only on decoded frames, and decoding a frame per file would cost more
than the whole metadata read. Phone videos (the bulk of web video) are usually stored landscape with a
rotation, so without this a portrait video would be counted as landscape. Only the ``moov`` box is
read, wherever it lies in the file.
"""

from __future__ import annotations

import math
import struct
from typing import BinaryIO

MAX_MOOV_BYTES = 64 << 20  # a moov larger than this is malformed or exotic: give up, report 0


def boxes(buf: bytes, start: int = 0, end: int | None = None):
    """(type, payload start, payload end) of each box in buf[start:end]."""
    end = len(buf) if end is None else end
    pos = start
    while pos + 8 <= end:
        size, kind = struct.unpack_from(">I4s", buf, pos)
        header = 8
        if size == 1:
            if pos + 16 > end:
                return
            size = struct.unpack_from(">Q", buf, pos + 8)[0]
            header = 16
        elif size == 0:
            size = end - pos
        if size < header:
            return
        yield kind, pos + header, min(pos + size, end)
        pos += size


def _find_moov(fh: BinaryIO) -> bytes | None:
    fh.seek(0)
    pos = 0
    while True:
        fh.seek(pos)
        head = fh.read(16)
        if len(head) < 8:
            return None
        size, kind = struct.unpack_from(">I4s", head)
        header = 8
        if size == 1 and len(head) == 16:
            size, header = struct.unpack_from(">Q", head, 8)[0], 16
        if kind == b"moov":
            if size == 0 or size - header > MAX_MOOV_BYTES:
                return None
            fh.seek(pos + header)
            return fh.read(size - header)
        if size < header:  # size 0 (box runs to the end) or malformed: no moov after it
            return None
        pos += size


def _handler(buf: bytes, start: int, end: int) -> bytes | None:
    for kind, s, e in boxes(buf, start, end):
        if kind == b"mdia":
            for kind2, s2, _e2 in boxes(buf, s, e):
                if kind2 == b"hdlr":
                    return buf[s2 + 8:s2 + 12]
    return None


def _tkhd_rotation(buf: bytes, start: int) -> int:
    version = buf[start]
    # version/flags, creation and modification times, track id, reserved, duration (times and
    # duration are 64-bit in version 1), then 8 reserved, layer, alternate group, volume and 2
    # reserved bytes: the 3x3 matrix follows.
    times = 8 + 8 + 4 + 4 + 8 if version == 1 else 4 + 4 + 4 + 4 + 4
    matrix_at = start + 4 + times + 8 + 2 + 2 + 2 + 2
    a, b = struct.unpack_from(">ii", buf, matrix_at)
    if a == 0 and b == 0:
        return 0
    # FFmpeg's av_display_rotation_get: -atan2(b, a), so values agree with ffprobe's "rotation".
    deg = -math.degrees(math.atan2(b / 65536, a / 65536))
    deg = int(round(deg)) % 360
    return deg - 360 if deg > 180 else deg


def video_rotation(fh: BinaryIO) -> int:
    """Rotation in degrees (ffprobe's sign) of the first video track; 0 when there is none."""
    moov = _find_moov(fh)
    if not moov:
        return 0
    for kind, s, e in boxes(moov):
        if kind != b"trak" or _handler(moov, s, e) != b"vide":
            continue
        for kind2, s2, _e2 in boxes(moov, s, e):
            if kind2 == b"tkhd":
                return _tkhd_rotation(moov, s2)
        return 0
    return 0
