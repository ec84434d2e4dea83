"""Container metadata and key-frame times, read without decoding pictures (PyAV demux only)."""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

from .errors import InputError


@dataclass(frozen=True)
class Probe:
    codec: str
    width: int  # coded size (data-juicer's video_width / video_height read the codec context)
    height: int
    rotation: int
    sar: Fraction
    duration: float
    keyframe_times: tuple[float, ...] = field(default=(), repr=False)  # seconds from stream start
    # Frame-rate facts for range planning (ranges.py): average, guessed and r_frame_rate; the
    # container's frame count (0 if unknown); the stream's start in seconds.
    rates: tuple[Fraction | None, ...] = ()
    frames: int = 0
    start: float = 0.0

    @property
    def display_size(self) -> tuple[int, int]:
        w = round(self.width * self.sar) if self.sar and self.sar != 1 else self.width
        return (self.height, w) if self.rotation % 180 else (w, self.height)


def probe(path: str) -> Probe:
    import av

    try:
        container = av.open(path, metadata_errors="ignore")
    except av.error.InvalidDataError as exc:
        raise InputError("corrupt_video", f"not a readable media file: {exc}") from exc
    except (av.error.FFmpegError, OSError) as exc:
        raise InputError("unreadable", f"cannot open: {exc}") from exc
    with container:
        if not container.streams.video:
            kinds = sorted({s.type for s in container.streams}) or ["none"]
            raise InputError("no_video_stream", f"no video stream (streams: {', '.join(kinds)})")
        stream = container.streams.video[0]
        ctx = stream.codec_context
        if ctx is None or not ctx.name:
            raise InputError("unsupported_codec", "video codec not supported by this ffmpeg build")
        if not ctx.width or not ctx.height:
            raise InputError("corrupt_video", "video stream has no picture size")
        tb = stream.time_base or Fraction(1, 1000)
        start = stream.start_time or 0
        keys = []
        try:
            for packet in container.demux(stream):
                if packet.is_keyframe and packet.pts is not None:
                    keys.append(float((packet.pts - start) * tb))
        except av.error.FFmpegError:
            pass  # damaged tail: key frames read so far still count; the decoder decides validity
        if stream.duration:
            duration = float(stream.duration * tb)
        elif container.duration:
            duration = container.duration / 1_000_000
        else:
            duration = 0.0
        # PyAV exposes the display matrix only on decoded frames; read the MP4/MOV track header.
        from vidsift.analysis.mp4 import video_rotation

        with open(path, "rb") as fh:
            rotation = video_rotation(fh)
        sar = stream.sample_aspect_ratio or Fraction(1, 1)
        rates = tuple(Fraction(r) if r else None for r in (stream.average_rate, stream.guessed_rate, stream.base_rate))
        return Probe(ctx.name, ctx.width, ctx.height, rotation, Fraction(sar), duration, tuple(sorted(keys)),
                     rates, stream.frames or 0, float(start * tb))
