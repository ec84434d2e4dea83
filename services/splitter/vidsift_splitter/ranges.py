"""Long sources as range tasks: the plan, one range's scan, and the source's final document.

A split task for a constant-frame-rate source longer than ``Settings.split_range_s`` does not scan:
it reads the container's header (not the source: no demux), cuts the source into frame ranges at
multiples of that length, stores the plan and hands back one range reference per range, which go back
to the split queue. A range task seeks (OpenCV) to the key frame a warm-up before its range (the
container's index tells which), feeds the detector from there, and keeps the scenes whose first frame
lies in its range, decoding on past the range until the scene open at its end closes. Its own demux of
that window (window.py) gives the key frames and its part of the frame index. Frame indices stay those
of a pass from frame 0, so clip ids equal a whole-source scan's.

Exactness: the warm-up's cuts are certified against every state a whole pass could be in at the
warm-up start (``sync.py``); an uncertified range (or a seek that lands elsewhere) is scanned again
from frame 0, which is a whole pass's own prefix. So ranged clips equal whole-source clips, at the
price of that rescan in the rare uncertified case.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from vidsift.refs import RANGE_WARMUP_S

from .clip_builder import ClosedClip
from .probe import Probe
from .scan import ScanConfig, ScanResult, SeekMismatch, Window, scan
from .window import WindowKeys, key_frame_before

log = logging.getLogger(__name__)
WARMUP_S = RANGE_WARMUP_S  # detector warm-up before a range (at least 4 * min_scene_len frames)
WARMUP_RETRY = 6  # an uncertified warm-up is tried once more, this many times longer, before frame 0
# PySceneDetect's seek to frame n asks OpenCV for n - 1, whose seek (CvCapture_FFMPEG::seek) aims at
# 16 frames before that and decodes forward: asked for a key frame, it starts a whole GOP earlier. Asked
# for 18 frames after one, it starts there (a frame to spare). Only the bytes read depend on it: a seek
# that lands elsewhere still decodes the frame asked for.
OPENCV_SEEK_BACK = 18


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
    """Ranges of about range_s, each starting at the key frame nearest a multiple of range_s (at the
    multiple itself when no key frame is known: a plan from the header alone; exactness does not
    depend on where a range starts, only its warm-up's seek does on key frames)."""
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


def warmup_start(own_start: int, fps: float, key_before, min_len: int, seconds: float = WARMUP_S) -> int:
    """Where a warm-up of at least ``seconds`` before own_start starts decoding (0 if at the start):
    ``OPENCV_SEEK_BACK`` frames after a key frame (``key_before(frame)`` asks the container,
    window.key_frame_before), so OpenCV's seek lands on that key frame, not on the one before it."""
    target = own_start - max(round(seconds * fps), 4 * min_len) - OPENCV_SEEK_BACK
    key = key_before(target) if target > 0 else 0
    return key + OPENCV_SEEK_BACK if key > 0 else 0


def _warmups(path: str, start: int, fps: float, min_len: int):
    """Warm-up starts to try, lazily (each asks the container where its key frame is)."""
    if start:
        for s in (WARMUP_S, WARMUP_S * WARMUP_RETRY):
            yield warmup_start(start, fps, lambda f: key_frame_before(path, f, fps), min_len, s)
    yield 0


def scan_range(path: str, cfg: ScanConfig, meta: Probe, fps: float, own: tuple[int, int],
               progress=None) -> tuple[ScanResult, list[ClosedClip], int, dict | None]:
    """(result, closed clips, first decoded frame, the index of the decoded frames) of one range;
    exact or rescanned from frame 0. The index part is None when it cannot be trusted (window.py)."""
    start, end = own
    min_len = cfg.detector()._flash_filter._filter_length
    tried = set()
    for w in _warmups(path, start, fps, min_len):
        if w in tried:
            continue
        tried.add(w)
        clips: list[ClosedClip] = []
        keys = WindowKeys(path, fps, w)
        try:
            result = scan(path, cfg, keys, clips.append, window=Window(w, start, end), progress=progress)
            if result.exact:
                last = max(result.frames, end) + 1  # the frame after a clip's end bounds its time window
                part = keys.part(w, min(last, meta.frames) if meta.frames else last) if meta.indexed else None
                return result, clips, w, part
        except SeekMismatch as exc:
            log.warning("%s range [%d, %d): %s; scanning from frame 0", path, start, end, exc.message)
            continue
        finally:
            keys.close()
        log.warning("%s range [%d, %d): cuts after the warm-up from frame %d are not certain to equal a "
                    "whole pass (flash-filter state before it); trying a longer warm-up", path, start, end, w)
    raise AssertionError("a scan from frame 0 is always exact")
