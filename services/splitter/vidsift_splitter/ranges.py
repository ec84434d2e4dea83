"""Long sources as range tasks: the plan, one range's scan, and the source's final document.

A split task for a constant-frame-rate source longer than ``Settings.split_range_s`` does not scan:
it cuts the source into frame ranges at key frames near multiples of that length, stores the plan
and hands back one range reference per range, which go back to the split queue. A range task seeks
(OpenCV) to a key frame a warm-up before its range, feeds the detector from there, and keeps the
scenes whose first frame lies in its range, decoding on past the range until the scene open at its
end closes. Frame indices stay those of a pass from frame 0, so clip ids equal a whole-source scan's.

Exactness: the warm-up's cuts are certified against every state a whole pass could be in at the
warm-up start (``sync.py``); an uncertified range (or a seek that lands elsewhere) is scanned again
from frame 0, which is a whole pass's own prefix. So ranged clips equal whole-source clips, at the
price of that rescan in the rare uncertified case.
"""

from __future__ import annotations

import bisect
import logging
from dataclasses import dataclass

from vidsift.refs import RANGE_WARMUP_S

from .clip_builder import ClosedClip
from .probe import Probe
from .scan import ScanConfig, ScanResult, SeekMismatch, Window, scan

log = logging.getLogger(__name__)
WARMUP_S = RANGE_WARMUP_S  # detector warm-up before a range (at least 4 * min_scene_len frames)
WARMUP_RETRY = 6  # an uncertified warm-up is tried once more, this many times longer, before frame 0


@dataclass(frozen=True)
class Plan:
    fps: float  # OpenCV's frame rate: what a scan reports
    frames: int
    ranges: tuple[tuple[int, int], ...]  # [start, end) decode indices, tiling [0, frames)

    def to_doc(self, uri: str) -> dict:
        return {"uri": uri, "fps": self.fps, "frames": self.frames, "ranges": [list(r) for r in self.ranges]}


def plan(path: str, meta: Probe, cfg: ScanConfig, range_s: float) -> Plan | None:
    """The ranges of a long CFR source, or None (one task) with the reason logged."""
    if range_s <= 0 or meta.duration <= range_s:
        return None
    why = _detector_reason(cfg)
    if why is None:
        fps, frames = _opencv_rate(path)
        why = cfr_reason(meta, fps, frames)
    if why is not None:
        log.info("%s: %.0f s source split as one task: %s", path, meta.duration, why)
        return None
    ranges = boundaries(meta.keyframe_times, fps, frames, range_s)
    return Plan(fps, frames, ranges) if len(ranges) > 1 else None


def _detector_reason(cfg: ScanConfig) -> str | None:
    from .sync import supports

    if cfg.detector is None:
        return "no scene detector (the source is one scene)"
    if not supports(cfg.detector()):
        return "range warm-up is certified only for ContentDetector with min_scene_len in frames"
    return None


def _opencv_rate(path: str) -> tuple[float, int]:
    from scenedetect import open_video

    video = open_video(path, backend="opencv")
    return float(video.frame_rate), video.duration.frame_num if video.duration is not None else 0


def cfr_reason(meta: Probe, cv_fps: float, cv_frames: int) -> str | None:
    """Why the source cannot be cut by frame index (seeks would not land where counted), or None."""
    avg, guessed, base = (meta.rates + (None, None, None))[:3]
    if not avg or avg != guessed or avg != base:
        return f"variable frame rate (average {avg}, guessed {guessed}, r_frame_rate {base})"
    if meta.start:
        return f"the stream starts at {meta.start:.3f} s, not 0"
    if not meta.frames or abs(meta.frames - meta.duration * float(avg)) > 1:
        return f"frame count {meta.frames} does not match {meta.duration:.3f} s at {avg} fps"
    if cv_frames != meta.frames or abs(cv_fps - float(avg)) > 1e-6:
        return f"OpenCV reads {cv_frames} frames at {cv_fps} fps, the container {meta.frames} at {avg}"
    return None


def boundaries(keyframe_times, fps: float, frames: int, range_s: float) -> tuple[tuple[int, int], ...]:
    """Ranges of about range_s, each starting at the key frame nearest a multiple of range_s."""
    step = range_s * fps
    keys = sorted({round(k * fps) for k in keyframe_times if 0 < round(k * fps) < frames})
    starts = [0]
    m = 1
    while m * step < frames:
        target = m * step
        near = [k for k in keys if abs(k - target) <= step / 4]
        b = min(near, key=lambda k: abs(k - target)) if near else round(target)
        if starts[-1] < b < frames:
            starts.append(b)
        m += 1
    return tuple(zip(starts, starts[1:] + [frames]))


def warmup_start(own_start: int, fps: float, keyframe_times, min_len: int, seconds: float = WARMUP_S) -> int:
    """The last key frame at least the warm-up before own_start (0 if none)."""
    target = own_start - max(round(seconds * fps), 4 * min_len)
    if target <= 0:
        return 0
    keys = sorted(round(k * fps) for k in keyframe_times)
    i = bisect.bisect_right(keys, target)
    return keys[i - 1] if i else 0


def scan_range(path: str, cfg: ScanConfig, meta: Probe, fps: float, own: tuple[int, int],
               progress=None) -> tuple[ScanResult, list[ClosedClip], int]:
    """(result, closed clips, first decoded frame) of one range; exact or rescanned from frame 0."""
    start, end = own
    min_len = cfg.detector()._flash_filter._filter_length
    tries = [warmup_start(start, fps, meta.keyframe_times, min_len, s) if start else 0
             for s in (WARMUP_S, WARMUP_S * WARMUP_RETRY)]
    for w in dict.fromkeys(tries + [0]):
        clips: list[ClosedClip] = []
        try:
            result = scan(path, cfg, meta.keyframe_times, clips.append, window=Window(w, start, end),
                          progress=progress)
        except SeekMismatch as exc:
            log.warning("%s range [%d, %d): %s; scanning from frame 0", path, start, end, exc.message)
            continue
        if result.exact:
            return result, clips, w
        log.warning("%s range [%d, %d): cuts after the warm-up from frame %d are not certain to equal a "
                    "whole pass (flash-filter state before it); trying a longer warm-up", path, start, end, w)
    raise AssertionError("a scan from frame 0 is always exact")
