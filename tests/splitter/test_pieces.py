"""Pieces cut by presentation time on data-juicer's grid (vidsift_splitter/pieces.py).

The reference below is the rule as the issue states it, applied to the whole list of a video's frame
times at once (sorted, as the frames are shown); the scan applies it streaming, frame by frame.
"""

from __future__ import annotations

from types import SimpleNamespace

import av
import numpy as np
import pytest
from scenedetect import open_video
from scenedetect.detectors import ContentDetector

from vidsift_splitter.pieces import Pieces, Timeline, piece_of
from vidsift_splitter.scan import ScanConfig, scan


def test_piece_of_follows_the_grid_and_leaves_straddling_frames_out():
    assert piece_of(0.0, 0.04, 0.0, 3.0) == 0
    assert piece_of(2.96, 3.0, 0.0, 3.0) == 0  # ends exactly on the line: inside
    assert piece_of(2.97, 3.003, 0.0, 3.0) is None  # straddles 3 s
    assert piece_of(3.003, 3.04, 0.0, 3.0) == 1
    assert piece_of(10.5, 10.6, 10.0, 0.25) == 2  # relative to the scene start
    assert piece_of(5.0, 9.0, 0.0, 3.0) is None  # a frame longer than the split duration
    assert piece_of(5.0, 9.0, 0.0, None) == 0  # no duration split: one piece per scene


def test_timeline_gives_display_order_times():
    tl = Timeline()
    for t in (0.0, 0.101, 0.067, 0.134, 0.034):  # opencvdoc__box.mp4's first frames, as reported
        tl.push(t)
    assert [tl.pop() for _ in range(5)] == [0.0, 0.034, 0.067, 0.101, 0.134]
    assert tl.peek() is None


def _run(frames: list[tuple[int, float, float]], cuts: set[int], d: float, min_last: float):
    cfg = SimpleNamespace(split_duration=d, min_last_split_duration=min_last, measures=(), requests=())
    out = []
    pieces = Pieces(cfg, 10.0, out.append)
    frame = np.zeros((4, 6, 3), np.uint8)  # the builder keeps a thumbnail of every clip
    for index, t, end in frames:
        pieces.commit(index, t, end, frame, False, cuts)
    pieces.finish(frames[-1][0] + 1)
    return pieces, [(c.scene, c.start, c.end, round(c.end_t - c.start_t, 6), c.rejection and c.rejection.op)
                    for c in out]


def test_last_piece_rule_and_short_scenes_kept_whole():
    # 10 fps: scene A frames 0-24 (2.5 s), scene B frames 25-56 (3.2 s); split 1 s, min last 0.5 s.
    frames = [(i, i / 10, (i + 1) / 10) for i in range(57)]
    pieces, out = _run(frames, {25}, 1.0, 0.5)
    assert out == [
        (0, 0, 10, 1.0, None), (0, 10, 20, 1.0, None), (0, 20, 25, 0.5, None),  # 0.5 s last piece: kept
        (25, 25, 35, 1.0, None), (25, 35, 45, 1.0, None), (25, 45, 55, 1.0, None),
        (25, 55, 57, 0.2, "video_split_by_duration_mapper")]  # 0.2 s last piece: handed on rejected
    assert pieces.dropped == 1 and pieces.scenes == [(0, 25), (25, 57)]
    # A scene no longer than the split duration is kept whole, whatever min_last_split_duration says.
    _, out = _run(frames[:7], set(), 1.0, 0.9)
    assert out == [(0, 0, 7, 0.7, None)]
    # ... but once it is longer, its short last piece is rejected.
    _, out = _run(frames[:12], set(), 1.0, 0.9)
    assert out == [(0, 0, 10, 1.0, None), (0, 10, 12, 0.2, "video_split_by_duration_mapper")]


def test_uneven_frames_straddle_and_gaps_never_lengthen_a_piece():
    # Dropped frames: 0.4 s steps across the 1 s line; a frame that straddles it is in no piece.
    frames = [(0, 0.0, 0.4), (1, 0.4, 0.8), (2, 0.8, 1.2), (3, 1.2, 1.6), (4, 1.6, 2.0), (5, 2.0, 2.1)]
    _, out = _run(frames, set(), 1.0, 0.0)
    assert out == [(0, 0, 2, 0.8, None), (0, 3, 5, 0.8, None), (0, 5, 6, 0.1, None)]


def _reference(path: str, scenes, d: float):
    """(start, end) frame spans and (start_t, end_t) by the issue's rule over all of the video's times."""
    video = open_video(path, backend="opencv")
    times = []
    while video.read(decode=False) is not False:
        times.append(video.position.seconds)
    times.sort()  # the i-th frame shown presents at the i-th smallest time
    with av.open(path) as c:
        s = c.streams.video[0]
        last = max((p for p in c.demux(s) if p.pts is not None), key=lambda p: p.pts)
        ends = times[1:] + [times[-1] + float(last.duration * s.time_base)]
    spans = []
    for a, b in scenes:
        s0, k0, cur = times[a], None, None
        for i in range(a, b):
            k = int((times[i] - s0 + 1e-6) // d)
            inside = ends[i] <= s0 + (k + 1) * d + 1e-6
            if cur is not None and (not inside or k != k0):
                spans.append(cur)
                cur = None
            if inside:
                cur = (cur[0], i + 1, cur[2], ends[i]) if cur else (i, i + 1, times[i], ends[i])
                k0 = k
        if cur is not None:
            spans.append(cur)
    return spans


@pytest.mark.parametrize("name", [
    "opencvdoc__box.mp4",  # times reported in decode order (pts = dts with B-frames)
    "opencvdoc__tree.avi",  # dropped frames: 0.33-0.73 s between frames
    "pyscenedetect__goldeneye-vfr-drop3.mp4",  # every third frame dropped
    "datajuicer__video1.mp4",  # 24 fps: a 3 s window holds 72 frames exactly
])
def test_pieces_equal_the_rule_over_the_whole_timeline(video, name):
    path = str(video(name))
    clips = []
    result = scan(path, ScanConfig(detector=lambda: ContentDetector(27.0, 10), split_duration=3.0),
                  on_clip=clips.append)
    got = [(c.start, c.end, round(c.start_t, 6), round(c.end_t, 6)) for c in clips]
    expected = [(a, b, round(s, 6), round(e, 6)) for a, b, s, e in _reference(path, result.scenes, 3.0)]
    assert got == expected
    assert all(c.end_t - c.start_t <= 3.0 + 1e-6 for c in clips)
    if name == "datajuicer__video1.mp4":  # evenly spaced frames at a rate that divides 3 s: no gap
        assert any(c.end - c.start == 72 for c in clips)
