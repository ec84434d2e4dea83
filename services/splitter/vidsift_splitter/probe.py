"""Container metadata and key-frame times, read without decoding pictures (PyAV demux only)."""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import BinaryIO, Callable

from vidsift.frameindex import index_time

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
    index: dict | None = field(default=None, repr=False)  # the frame index (_Index), for the resizer
    indexed: bool = False  # a container whose packet times make a frame index (INDEXED_FORMATS)

    def to_doc(self) -> dict:
        """JSON for the range plan, so range tasks reuse it instead of demuxing the source again."""
        return {"codec": self.codec, "width": self.width, "height": self.height, "rotation": self.rotation,
                "sar": str(self.sar), "duration": self.duration, "keyframe_times": list(self.keyframe_times),
                "rates": [None if r is None else str(r) for r in self.rates], "frames": self.frames,
                "start": self.start, "indexed": self.indexed}  # the index is stored on its own (JobStore.save_index)

    @classmethod
    def from_doc(cls, doc: dict) -> "Probe":
        return cls(doc["codec"], doc["width"], doc["height"], doc["rotation"], Fraction(doc["sar"]), doc["duration"],
                   tuple(doc["keyframe_times"]), tuple(None if r is None else Fraction(r) for r in doc["rates"]),
                   doc["frames"], doc["start"], indexed=doc.get("indexed", False))


def probe(path: str, open_bytes: Callable[[], BinaryIO] | None = None,
          demux: bool | Callable[[float], bool] = True) -> Probe:
    """``path`` is what PyAV opens (a file or the loopback URL of a remote input); ``open_bytes``
    opens the same bytes as a file object for the MP4 header read (default: ``open(path)``).
    ``demux`` false, or a function of the header's duration that says no: the container's header only
    (no key frames, no index), a few blocks of a remote source: what planning a long source needs (its
    range tasks demux their own parts, window.py). Otherwise the same open demuxes the whole stream."""
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
        if stream.duration:
            duration = float(stream.duration * tb)
        elif container.duration:
            duration = container.duration / 1_000_000
        else:
            duration = 0.0
        demux = demux(duration) if callable(demux) else demux
        keys = []
        index = _Index(tb)
        try:
            for packet in container.demux(stream) if demux else ():
                index.add(packet)
                if packet.is_keyframe and packet.pts is not None:
                    keys.append(float((packet.pts - start) * tb))
        except av.error.FFmpegError:
            index.complete = False  # damaged tail: key frames read so far still count; the decoder decides validity
        # PyAV exposes the display matrix only on decoded frames; read the MP4/MOV track header.
        from vidsift.analysis.mp4 import video_rotation

        with (open_bytes or (lambda: open(path, "rb")))() as fh:
            rotation = video_rotation(fh)
        sar = stream.sample_aspect_ratio or Fraction(1, 1)
        rates = tuple(Fraction(r) if r else None for r in (stream.average_rate, stream.guessed_rate, stream.base_rate))
        indexed = any(f in container.format.name.split(",") for f in INDEXED_FORMATS)
        return Probe(ctx.name, ctx.width, ctx.height, rotation, Fraction(sar), duration, tuple(sorted(keys)),
                     rates, stream.frames or 0, float(start * tb), index.doc() if indexed and demux else None,
                     indexed)


# Containers whose packet times come from the container's own index, as ffprobe reads them. Others
# (AVI's packed B-frames: the demuxer's guessed times differ between ffmpeg versions) get no index,
# and the resizer reads their times itself.
INDEXED_FORMATS = ("mov", "mp4", "matroska", "webm")


class _Index:
    """Every video packet's presentation time and the key packets' (stream time, ffprobe's
    microsecond precision, discarded packets left out): the frame index the resizer would
    otherwise read with ``ffprobe -show_packets`` over the whole source."""

    def __init__(self, tb: Fraction):
        self.tb, self.times, self.keys, self.complete = tb, [], [], True

    def add(self, packet) -> None:
        if packet.size == 0 and packet.pts is None and packet.dts is None:
            return  # the demuxer's end-of-stream flush, not a packet of the file
        if packet.is_discard:
            return
        if packet.pts is None:
            self.complete = False
            return
        t = index_time(packet.pts * self.tb)
        self.times.append(t)
        if packet.is_keyframe:
            self.keys.append(t)

    def doc(self) -> dict | None:
        if not self.complete:
            return None
        return {"frame_times": sorted(self.times), "keyframes": sorted(self.keys)}
