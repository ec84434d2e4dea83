"""What the resizer needs to know about a source, read with ffprobe (demux only, no decoding).

The frame index lists every video packet's presentation time: sorted, these are the times of the
decoded frames in the order OpenCV delivers them (the splitter's frame numbers), so a frame span
becomes a time window that input seeking cannot shift. It is read once per source per process.
"""

from __future__ import annotations

import json
import subprocess
from collections import OrderedDict
from dataclasses import dataclass
from fractions import Fraction

from .errors import ResizeError, stderr_tail
from .geometry import Geometry

CACHE_SIZE = 8  # sources whose index a worker keeps: clips of one source usually arrive together


@dataclass(frozen=True)
class SourceProbe:
    geometry: Geometry
    start_time: float  # the video stream's first timestamp (s): OpenCV's clip seconds count from it
    has_audio: bool
    frame_times: tuple[float | None, ...] | None  # ascending presentation times; None when a packet has none
    keyframes: tuple[float, ...]  # presentation times of the key packets, ascending
    # A partial index (vidsift.frameindex.partial: ranges of a long source still splitting): frames it
    # does not cover have the time None, and its key frames start with the source's only if from_start.
    partial: bool = False
    from_start: bool = True


def _ffprobe(args: list[str]) -> str:
    proc = subprocess.run(["ffprobe", "-v", "error", *args], capture_output=True, text=True)
    if proc.returncode != 0:
        raise ResizeError(f"ffprobe failed ({proc.returncode}): {stderr_tail(proc.stderr)}")
    return proc.stdout


def _float(v) -> float | None:
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def _sar(text: str | None) -> Fraction:
    try:
        num, den = (int(x) for x in str(text).split(":"))
        return Fraction(num, den) if num > 0 and den > 0 else Fraction(1)
    except ValueError:
        return Fraction(1)


def probe_source(path: str, index: dict | None = None) -> SourceProbe:
    """``index``: the frame index the split stage stored (``JobStore.load_index``). Without it every
    packet is listed here, which reads the whole source."""
    doc = json.loads(_ffprobe(["-show_entries", "stream=codec_type,width,height,sample_aspect_ratio,start_time"
                               ":stream_side_data=rotation", "-of", "json", path]))
    streams = doc.get("streams", [])
    video = next((s for s in streams if s.get("codec_type") == "video"), None)
    if video is None or not video.get("width"):
        raise ResizeError(f"{path}: no video stream with a picture size")
    rotation = next((int(d["rotation"]) for d in video.get("side_data_list", []) if "rotation" in d), 0)
    geom = Geometry.from_stream(int(video["width"]), int(video["height"]), _sar(video.get("sample_aspect_ratio")),
                                rotation)
    partial = index is not None and index.get("partial", False)
    if index is not None:
        times, keys = index["frame_times"], index["keyframes"]
    else:
        times, keys = _packet_times(path)
    if times is not None and not partial:
        times = sorted(times)  # a partial index is in frame order already, with gaps
    return SourceProbe(geometry=geom, start_time=_float(video.get("start_time")) or 0.0,
                       has_audio=any(s.get("codec_type") == "audio" for s in streams),
                       frame_times=None if times is None else tuple(times), keyframes=tuple(sorted(keys)),
                       partial=partial, from_start=index.get("from_start", True) if partial else True)


def _packet_times(path: str) -> tuple[list[float] | None, list[float]]:
    """(every decoded frame's time, or None when a packet has none; key frames' times), from a demux
    of the whole source."""
    times, keys, complete = [], [], True
    for line in _ffprobe(["-select_streams", "v:0", "-show_entries", "packet=pts_time,flags",
                          "-of", "csv=p=0", path]).splitlines():
        pts, flags = (line.split(",") + ["", ""])[:2]
        if "D" in flags:  # discarded by the demuxer (outside an edit list): never decoded into a frame
            continue
        t = _float(pts)
        if t is None:
            complete = False  # e.g. AVI with packed B-frames: times exist only after decoding
            continue
        times.append(t)
        if "K" in flags:
            keys.append(t)
    return (times if complete else None), keys


_CACHE: OrderedDict[tuple, SourceProbe] = OrderedDict()


def cached_probe(path: str, identity: tuple, index=lambda: None) -> SourceProbe:
    """probe_source, remembered per source identity (id, size, etag): an edited source is re-read.
    ``index()`` loads the stored frame index, only when the source is not remembered yet."""
    if identity in _CACHE:
        _CACHE.move_to_end(identity)
        return _CACHE[identity]
    result = probe_source(path, index())
    if result.partial:
        return result  # more of the index is stored as the source's ranges finish: read it again next time
    _CACHE[identity] = result
    while len(_CACHE) > CACHE_SIZE:
        _CACHE.popitem(last=False)
    return result
