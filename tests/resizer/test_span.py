import re
import subprocess
from fractions import Fraction

import pytest

from vidsift_resizer.geometry import Geometry
from vidsift_resizer.probe import SourceProbe, probe_source
from vidsift_resizer.span import index_usable, indexed_plan, plans, seek_point

# 10 fps, key frames at 0 s and 1 s; the stream starts at 0.5 s (an edit list, like delayed_start).
TIMES = tuple(0.5 + i / 10 for i in range(30))
KEYS = (0.5, 1.5, 2.5)
PROBE = SourceProbe(Geometry(64, 64), start_time=0.5, has_audio=False, frame_times=TIMES, keyframes=KEYS)


def test_indexed_plan_selects_the_time_window_and_seeks_to_the_key_frame():
    plan = plans(PROBE, 12, 22, 30, 10.0, clip_start=1.2)[0]
    assert plan.select == "gte(t,1.6500000)*lt(t,2.6500000)"
    assert plan.seek == 1.5  # the last key frame at or before the first frame (1.7 s)
    assert plan.frames == 10 and plan.rate == Fraction(10) and plan.audio_start == TIMES[12]


def test_span_edges_are_open():
    assert plans(PROBE, 0, 30, 30, 10.0, 0.0)[0].select == "1"
    assert plans(PROBE, 0, 5, 30, 10.0, 0.0)[0].seek is None  # first key frame: just decode from the start


def test_linear_fallback_always_last():
    ps = plans(PROBE, 12, 22, 30, 10.0, 1.2)
    assert len(ps) == 2 and ps[1].select == "between(n,12,21)" and ps[1].seek is None


def test_index_not_trusted_when_it_disagrees_with_the_splitter():
    assert index_usable(PROBE, 30, 12, 1.2, 10.0)
    assert not index_usable(PROBE, 31, 12, 1.2, 10.0)  # decoder delivered a different count
    assert not index_usable(PROBE, 30, 12, 1.4, 10.0)  # the splitter saw another time for frame 12
    no_times = SourceProbe(Geometry(64, 64), 0.0, False, None, ())
    assert not index_usable(no_times, 30, 0, 0.0, 10.0)
    assert len(plans(no_times, 12, 22, 30, 10.0, 1.2)) == 1


def test_a_partial_index_serves_the_clips_it_covers():
    """Ranges of a long source still splitting: frames 10..29 known (a part starting at its key frame 1.5 s)."""
    times = (None,) * 10 + TIMES[10:]
    part = SourceProbe(Geometry(64, 64), 0.5, False, times, KEYS[1:], partial=True, from_start=False)
    plan = plans(part, 12, 22, 30, 10.0, 1.2)[0]
    assert plan.select == plans(PROBE, 12, 22, 30, 10.0, 1.2)[0].select and plan.seek == 1.5
    assert plans(part, 11, 16, 30, 10.0, 1.1)[0].seek == 1.5  # its first key frame is not the source's: seek
    assert not index_usable(part, 30, 10, 1.0, 10.0, 15)  # frame 9, the window's left edge, is unknown
    assert len(plans(part, 5, 15, 30, 10.0, 0.5)) == 1  # not covered: the linear plan


def test_seek_point_floors_to_microseconds():
    assert seek_point((0.0, 5.3333336, 10.6666669), 6.0) == 5.333333


@pytest.mark.parametrize("name, start", [("pyscenedetect__testvideo.mp4", 300), ("video2dataset__test_video.mp4", 200),
                                         ("pyscenedetect__delayed_start.mp4", 10)])
def test_seek_lands_on_the_key_frame_not_a_gop_earlier(video, name, start):
    path = str(video(name))
    probe = probe_source(path)
    plan = indexed_plan(probe, start, start + 10, 25.0)
    key = max(t for t in probe.keyframes if t <= probe.frame_times[start])
    assert plan.seek is not None and key <= probe.frame_times[start]
    err = subprocess.run(["ffmpeg", "-hide_banner", "-copyts", "-seek_timestamp", "1", "-noaccurate_seek",
                          "-ss", f"{plan.seek:.6f}", "-i", path, "-vf", "showinfo", "-frames:v", "1", "-an",
                          "-f", "null", "-"], capture_output=True, text=True).stderr
    assert float(re.search(r"pts_time:([0-9.]+)", err)[1]) == pytest.approx(key, abs=1e-4)
