import subprocess

import pytest

from vidsift_resizer.mp4 import read_video


def make(path, *flags, size="320x240", sar="1"):
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i", f"testsrc2=size={size}:rate=25",
                    "-f", "lavfi", "-i", "sine", "-vf", f"setsar={sar}", "-frames:v", "37", "-shortest",
                    "-c:v", "libx264", "-preset", "ultrafast", *flags, str(path)], check=True)
    return str(path)


def test_reads_size_frames_and_faststart(tmp_path):
    v = read_video(make(tmp_path / "a.mp4", "-movflags", "+faststart"))
    assert (v.width, v.height, v.frames, v.faststart) == (320, 240, 37, True)


def test_index_at_the_end_is_not_faststart(tmp_path):
    v = read_video(make(tmp_path / "b.mp4"))
    assert v is not None and v.frames == 37 and not v.faststart


def test_non_square_pixels_show_in_the_display_size(tmp_path):
    v = read_video(make(tmp_path / "c.mp4", "-movflags", "+faststart", sar="2"))
    assert (v.width, v.height) == (640, 240)


@pytest.mark.parametrize("data", [b"", b"not an mp4 at all", b"\x00\x00\x00\x08moov"])
def test_garbage_is_none(tmp_path, data):
    (tmp_path / "x.mp4").write_bytes(data)
    assert read_video(str(tmp_path / "x.mp4")) is None


def test_cut_off_moov_is_none(tmp_path):
    data = open(make(tmp_path / "d.mp4", "-movflags", "+faststart"), "rb").read()
    start = data.index(b"stbl")
    (tmp_path / "d.mp4").write_bytes(data[:start + 20])
    assert read_video(str(tmp_path / "d.mp4")) is None
