"""summarize() and the markdown lines: pure, on hand-made metadata."""

from __future__ import annotations

from fractions import Fraction

import pytest

from vidsift.analysis.probe import VideoMeta, display_size
from vidsift.analysis.render import markdown
from vidsift.analysis.stats import fps_label, summarize


def meta(w: int, h: int, duration: float | None, fps: float | None = 25.0, codec: str = "h264") -> VideoMeta:
    return VideoMeta(uri=f"file:///{w}x{h}-{duration}", width=w, height=h, coded_width=w, coded_height=h,
                     sample_aspect_ratio=None, rotation=0, duration=duration, fps=fps, frames=None,
                     codec=codec, profile=None, pix_fmt=None, container="mp4", size=None)


def test_counts_sorted_by_count_then_name():
    metas = [meta(640, 360, 1.0), meta(1280, 720, 2.0), meta(320, 240, 3.0), meta(1280, 720, 4.0)]
    report = summarize(metas, [])
    assert list(report["resolutions"].items()) == [("1280x720", 2), ("320x240", 1), ("640x360", 1)]
    md = markdown(report, {})
    assert "- 1280x720: 2 (50.00%)\n- 320x240: 1 (25.00%)\n- 640x360: 1 (25.00%)" in md
    assert "- Average duration: 2.50 seconds" in md
    assert "- Standard deviation: 1.12 seconds" in md  # population std of 1, 2, 3, 4


def test_unknown_duration_is_left_out_of_duration_stats_only():
    report = summarize([meta(640, 360, None, fps=None, codec=None), meta(640, 360, 10.0)], [])
    assert report["videos"] == 2
    assert report["duration"] == {"count": 1, "min": 10.0, "max": 10.0, "mean": 10.0, "median": 10.0, "std": 0.0}
    assert report["fps"] == {"25": 1, "unknown": 1} and report["codecs"] == {"h264": 1, "unknown": 1}
    assert report["total_hours"] == pytest.approx(10 / 3600)


@pytest.mark.parametrize("fps,label", [(30000 / 1001, "29.97"), (24000 / 1001, "23.976"), (25.0, "25"),
                                       (16.05089471, "16.051"), (None, "unknown")])
def test_fps_label(fps, label):
    assert fps_label(fps) == label


@pytest.mark.parametrize("w,h,sar,rot,expected", [
    (1280, 544, None, -90, (544, 1280)), (1280, 544, None, 180, (1280, 544)),
    (704, 576, Fraction(16, 11), 0, (1024, 576)), (720, 576, Fraction(64, 45), 90, (576, 1024)),
])
def test_display_size(w, h, sar, rot, expected):
    assert display_size(w, h, sar, rot) == expected
