"""Read one video's container metadata with PyAV: no decoding beyond FFmpeg's own stream probe.

Sizes are *display* sizes (rotation and sample aspect ratio applied), the same convention as
``SourceInfo.width/height``, so the numbers here are the ones the resolution filter will see; the coded
size is kept alongside for comparison with ffprobe and with the reference scheme's report.
"""

from __future__ import annotations

import contextlib
from dataclasses import asdict, dataclass
from fractions import Fraction
from typing import Any, BinaryIO
from urllib.parse import urlparse

from ..config import Settings
from ..storage import NotFound, check_allowed, open_input
from ..storage.file import file_url_to_path
from .mp4 import video_rotation


class Unreadable(Exception):
    """The input is not a video PyAV can read (missing, damaged, no video stream)."""


@dataclass(frozen=True)
class VideoMeta:
    uri: str
    width: int  # display size: rotation and sample aspect ratio applied
    height: int
    coded_width: int
    coded_height: int
    sample_aspect_ratio: str | None
    rotation: int
    duration: float | None  # seconds
    fps: float | None
    frames: int | None
    codec: str | None
    profile: str | None
    pix_fmt: str | None
    container: str
    size: int | None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def display_size(width: int, height: int, sar: Fraction | None, rotation: int) -> tuple[int, int]:
    if sar and sar > 0 and sar != 1:
        width = round(width * sar)  # as the splitter's probe does (half to even)
    if abs(rotation) % 180 == 90:
        width, height = height, width
    return width, height


def read_meta(source: str | BinaryIO, uri: str, size: int | None) -> VideoMeta:
    """Metadata of one container. ``source`` is a local path or a seekable binary file."""
    import av

    try:
        with av.open(source, metadata_errors="ignore") as container:
            if not container.streams.video:
                raise Unreadable("no video stream")
            stream = container.streams.video[0]
            cc = stream.codec_context
            if not cc.width or not cc.height:
                raise Unreadable("video stream has no frame size")
            fmt = container.format.name
            rate = stream.average_rate or stream.guessed_rate
            # The video stream's own duration, not the container's: the container's includes
            # audio that outlasts the picture and, for edit lists, the start offset.
            if stream.duration and stream.time_base:
                duration = float(stream.duration * stream.time_base)
            elif container.duration:
                duration = container.duration / 1_000_000
            else:
                duration = None
            sar = cc.sample_aspect_ratio
            meta = dict(
                coded_width=cc.width, coded_height=cc.height,
                sample_aspect_ratio=str(sar) if sar else None,
                fps=float(rate) if rate else None,
                frames=stream.frames or None,
                codec=cc.name, profile=cc.profile, pix_fmt=cc.format.name if cc.format else None,
                duration=duration, container=fmt,
            )
    except av.FFmpegError as exc:
        raise Unreadable(f"{type(exc).__name__}: {exc}") from exc
    rotation = 0
    if "mp4" in fmt or "mov" in fmt:
        with _reopen(source) as fh:
            try:
                rotation = video_rotation(fh)
            except (ValueError, IndexError, OSError):  # struct.error is a ValueError
                rotation = 0  # a damaged moov PyAV tolerated: report the coded orientation
    w, h = display_size(meta["coded_width"], meta["coded_height"], sar, rotation)
    return VideoMeta(uri=uri, width=w, height=h, rotation=rotation, size=size, **meta)


@contextlib.contextmanager
def _reopen(source: str | BinaryIO):
    if isinstance(source, str):
        with open(source, "rb") as fh:
            yield fh
    else:
        source.seek(0)
        yield source


def probe(uri: str, settings: Settings) -> VideoMeta:
    """Metadata of the video at uri. Raises Unreadable for inputs that are not readable videos.

    Storage failures (StorageError) are not Unreadable: ``scan`` lists them with their own type.
    """
    try:
        uri = check_allowed(uri, settings)
        scheme = urlparse(uri).scheme
        if scheme == "file":
            path = file_url_to_path(uri)
            if not path.is_file():
                raise NotFound(f"{uri}: no such file")
            return read_meta(str(path), uri, path.stat().st_size)
        if scheme == "s3":
            from .remote import open_s3_range

            with open_s3_range(uri, settings.s3_endpoint_url, settings.s3_region) as fh:
                return read_meta(fh, uri, fh.raw.size)
        with open_input(uri, settings) as local:  # http(s): downloaded, within its size limits
            return read_meta(local.path, uri, local.stat.size)
    except (NotFound, PermissionError, IsADirectoryError, ValueError) as exc:
        # ValueError covers InputRefused (scheme or file root not allowed).
        raise Unreadable(f"{type(exc).__name__}: {exc}") from exc
