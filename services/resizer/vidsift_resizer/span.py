"""Which frames a clip is, in ffmpeg's terms (pure).

A clip is a span [start_frame, end_frame) of decoded frames, numbered as the splitter's OpenCV
decoder delivered them. Two ways to pick exactly those frames:

* indexed: the frame index (probe) gives every frame's presentation time, so the span is the time
  window between the midpoints to its neighbours; ffmpeg seeks to the last key frame at or before
  the first frame and ``select`` keeps the window. Seeking cannot shift it (the window is in stream
  time, ``-copyts``), VFR and edit lists do not matter, and only about one GOP is decoded in vain.
* linear: decode from the file's start and keep decoded frames start_frame..end_frame-1 by number.
  Exact by construction, but decodes everything before the clip; used when the index is not usable
  (``index_usable``) and when the indexed plan's run fails its checks (``encode.render_checked``).
"""

from __future__ import annotations

import math

from .command import SpanPlan, rational
from .probe import SourceProbe


def index_usable(probe: SourceProbe, source_frames: int, start_frame: int, clip_start: float, fps: float,
                 end_frame: int | None = None) -> bool:
    """The index numbers frames as the splitter did: same count, and the clip's first frame has the
    time the splitter saw (OpenCV's, from the stream start). Damaged streams whose decoder drops
    frames the container lists fail the second test, and take the linear plan. A partial index must
    cover the clip and its neighbours."""
    times = probe.frame_times
    end_frame = start_frame + 1 if end_frame is None else end_frame
    if times is None or len(times) != source_frames or not 0 <= start_frame < end_frame <= len(times):
        return False
    known = [t for t in times if t is not None] if probe.partial else times
    if len(set(known)) != len(known) or None in times[max(0, start_frame - 1):end_frame + 1]:
        return False
    return abs(times[start_frame] - probe.start_time - clip_start) <= 0.5 / fps


def linear_plan(probe: SourceProbe, start_frame: int, end_frame: int, fps: float, clip_start: float) -> SpanPlan:
    return SpanPlan(select=f"between(n,{start_frame},{end_frame - 1})", frames=end_frame - start_frame,
                    rate=rational(fps), seek=None, audio_start=probe.start_time + clip_start)


def indexed_plan(probe: SourceProbe, start_frame: int, end_frame: int, fps: float) -> SpanPlan:
    times = probe.frame_times
    assert times is not None and 0 <= start_frame < end_frame <= len(times), (start_frame, end_frame)
    first = times[start_frame]
    conds = []
    if start_frame > 0:
        conds.append(f"gte(t,{(times[start_frame - 1] + first) / 2:.7f})")
    if end_frame < len(times):
        conds.append(f"lt(t,{(times[end_frame - 1] + times[end_frame]) / 2:.7f})")
    return SpanPlan(select="*".join(conds) or "1", frames=end_frame - start_frame, rate=rational(fps),
                    seek=seek_point(probe.keyframes, first, probe.from_start), audio_start=first)


def seek_point(keyframes: tuple[float, ...], first: float, from_start: bool = True) -> float | None:
    """-ss for a frame at time ``first``: the time of the last key frame at or before it.

    The demuxers seek to a key frame at or before the target (mov and matroska compare presentation
    times: aiming at the key frame's decode time lands a whole GOP early), so the key frame's own
    time, floored to ffmpeg's microseconds, lands on it. Landing early only costs decoding; landing
    late loses frames, which the output check catches and the linear plan repairs. None (no seek)
    when it is the first key frame: decoding starts there anyway. ``from_start=False``: the list is
    part of the source's (a partial index), so its first key frame is not the source's.
    """
    before = [t for t in keyframes if t <= first]
    if len(before) <= (1 if from_start else 0):
        return None
    return math.floor(before[-1] * 1e6) / 1e6


def plans(probe: SourceProbe, start_frame: int, end_frame: int, source_frames: int, fps: float,
          clip_start: float) -> list[SpanPlan]:
    """Plans to try in order: indexed when the index can be trusted, then linear (always exact)."""
    out = [linear_plan(probe, start_frame, end_frame, fps, clip_start)]
    if end_frame <= source_frames and index_usable(probe, source_frames, start_frame, clip_start, fps, end_frame):
        out.insert(0, indexed_plan(probe, start_frame, end_frame, fps))
    return out
