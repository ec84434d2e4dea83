"""The resize stage on real test videos; every output checked with ffprobe (or decoded)."""

from __future__ import annotations

import csv
import os

import numpy as np
import pytest

from vidsift.jobs import clip_line
from vidsift.pipeline import run_stage
from vidsift_resizer.errors import ResizeError
from vidsift_resizer.stage import resize_clip

from tests.infra import TESTDATA

from .conftest import clip_of, ffprobe, local, opencv_times

STRETCH = '[{video_resize_resolution_mapper: {targets: ["512x512", "256x256"], mode: stretch}}]'


def video_stream(info: dict) -> dict:
    return next(s for s in info["streams"] if s["codec_type"] == "video")


def check_output(uri: str, width: int, height: int, frames: int, fps: float) -> dict:
    info = ffprobe(local(uri))
    v = video_stream(info)
    assert (v["width"], v["height"], v["codec_name"], v["pix_fmt"]) == (width, height, "h264", "yuv420p")
    assert int(v["nb_read_packets"]) == frames
    assert float(info["format"]["duration"]) == pytest.approx(frames / fps, abs=0.5 / fps)
    assert v.get("sample_aspect_ratio", "1:1") in ("1:1", "0:1", "N/A")
    assert not any("rotation" in d for d in v.get("side_data_list", []))
    with open(local(uri), "rb") as fh:  # +faststart: the index (moov) comes before the media (mdat)
        head = fh.read(1 << 16)
    assert 0 <= head.find(b"moov") < head.find(b"mdat") or head.find(b"mdat") == -1
    return info


def keys(ctx, clip) -> list[str]:
    return sorted(ctx.jobs.store.list(f"clips/{clip.id}/"))


def test_all_targets_frame_exact_and_in_the_manifest_line(video, make_ctx):
    ctx = make_ctx(STRETCH)
    clip = clip_of(video("pyscenedetect__testvideo.mp4"), 300, 390, ctx.recipe.id)
    events = []
    ctx.observer = lambda event, stage, data: events.append((event, stage, data))
    [out] = run_stage("resize", clip, ctx)
    assert [(e, s, d.get("op")) for e, s, d in events][:1] == [("op", "resize", "video_resize_resolution_mapper")]
    assert sum(d["bytes"] for e, _, d in events if e == "write") == sum(
        os.path.getsize(local(u)) for u in out.resized.values())
    assert list(out.resized) == ["512x512", "256x256"]
    for key, uri in out.resized.items():
        w, h = map(int, key.split("x"))
        info = check_output(uri, w, h, 90, clip.fps)
        assert [s["codec_type"] for s in info["streams"]] == ["video"]  # audio dropped by default
        assert uri == ctx.jobs.store.uri(f"clips/{clip.id}/{key}.mp4")
    line = clip_line(out)
    assert line["videos"] == [out.resized["512x512"]] and line["clip"]["resized"] == out.resized


def test_redelivered_message_creates_no_second_object(video, make_ctx):
    ctx = make_ctx(STRETCH)
    clip = clip_of(video("pyscenedetect__delayed_start.mp4"), 3, 20, ctx.recipe.id)
    first = resize_clip(clip, ctx)
    stored = {k: ctx.jobs.store.stat(k) for k in keys(ctx, clip)}
    assert len(stored) == 2
    events = []
    ctx.observer = lambda event, stage, data: events.append(event)
    assert resize_clip(clip, ctx) == first
    assert {k: ctx.jobs.store.stat(k) for k in keys(ctx, clip)} == stored  # same objects, not rewritten
    assert events == []  # no ffmpeg run, nothing written
    # a missing output is made again, and only that one
    ctx.jobs.store.delete(f"clips/{clip.id}/256x256.mp4")
    assert resize_clip(clip, ctx) == first
    assert ctx.jobs.store.stat(f"clips/{clip.id}/512x512.mp4") == stored[f"clips/{clip.id}/512x512.mp4"]
    check_output(first[0].resized["256x256"], 256, 256, 17, clip.fps)


@pytest.mark.parametrize("mode, bars", [("stretch", False), ("fit", True), ("fill", False)])
def test_anamorphic_source_by_display_aspect(video, make_ctx, mode, bars):
    """704x576 with SAR 16:11 is a 16:9 picture: fit gives 512x288 of picture between black bars."""
    ctx = make_ctx(f'[{{video_resize_resolution_mapper: {{targets: ["512x512"], mode: {mode}}}}}]')
    clip = clip_of(video("pyscenedetect__issue-195-aspect-ratio.mp4"), 300, 330, ctx.recipe.id)
    [out] = resize_clip(clip, ctx)
    check_output(out.resized["512x512"], 512, 512, 30, clip.fps)
    frame = first_frame_gray(local(out.resized["512x512"]))
    bar, picture = frame[:100].mean(), frame[200:312].mean()
    assert (bar < 20) == bars and picture > 20


def test_rotated_source_comes_out_upright(video, make_ctx):
    ctx = make_ctx('[{video_resize_resolution_mapper: {targets: [{size: "256x256", mode: fill}], '
                   'full_resolution: true}}]')
    clip = clip_of(video("pyscenedetect__issue-134-rotate.mp4"), 100, 148, ctx.recipe.id)
    [out] = resize_clip(clip, ctx)
    assert list(out.resized) == ["256x256", "544x1280"]  # display size: rotation -90 applied
    check_output(out.resized["544x1280"], 544, 1280, 48, clip.fps)
    check_output(out.resized["256x256"], 256, 256, 48, clip.fps)
    assert_frame_exact(clip, out.resized["544x1280"], (136, 320))


def test_odd_portrait_source_with_data_juicer_rule(video, make_ctx):
    ctx = make_ctx('[{video_resize_resolution_mapper: {max_height: 320, force_original_aspect_ratio: decrease, '
                   'force_divisible_by: 4, targets: []}}, '
                   '{video_resize_aspect_ratio_mapper: {targets: [{size: "512x512", mode: fit}]}}]')
    clip = clip_of(video("datajuicer__video5.mp4"), 48, 96, ctx.recipe.id)  # 362x640
    [out] = resize_clip(clip, ctx)
    assert list(out.resized) == ["180x320", "512x512"]
    check_output(out.resized["180x320"], 180, 320, 48, clip.fps)
    frame = first_frame_gray(local(out.resized["512x512"]))
    assert frame[:, :100].mean() < 20 < frame[:, 200:312].mean()  # portrait fitted: bars left and right


def test_vfr_source_every_frame_once_at_constant_rate(video, make_ctx):
    ctx = make_ctx(STRETCH)
    clip = clip_of(video("pyscenedetect__goldeneye-vfr-drop3.mp4"), 50, 98, ctx.recipe.id)
    [out] = resize_clip(clip, ctx)
    check_output(out.resized["256x256"], 256, 256, 48, clip.fps)
    assert_frame_exact(clip, out.resized["256x256"], (256, 256))


def _manifest():
    if not (TESTDATA / "MANIFEST.tsv").exists():
        return []
    with open(TESTDATA / "MANIFEST.tsv") as fh:
        return [row["file"] for row in csv.DictReader(fh, delimiter="\t")]


@pytest.mark.slow
@pytest.mark.parametrize("name", _manifest())
def test_every_test_video_frame_exact(video, make_ctx, name):
    """Two seconds from a third of the way in: exact frame count, aligned with OpenCV's frames."""
    ctx = make_ctx('[{video_resize_resolution_mapper: {targets: ["128x128"]}}]')
    fps, times = opencv_times(str(video(name)))
    start = len(times) // 3
    clip = clip_of(video(name), start, min(len(times), start + max(2, round(2 * fps))), ctx.recipe.id)
    [out] = resize_clip(clip, ctx)
    check_output(out.resized["128x128"], 128, 128, clip.num_frames, clip.fps)
    assert_frame_exact(clip, out.resized["128x128"], (128, 128))


def test_audio_on_request_and_recipe_fps(video, make_ctx):
    ctx = make_ctx('[{video_resize_resolution_mapper: {targets: ["256x256"], keep_audio: true, fps: 10}}]')
    clip = clip_of(video("pyscenedetect__issue-195-aspect-ratio.mp4"), 100, 175, ctx.recipe.id)  # 3 s at 25 fps
    [out] = resize_clip(clip, ctx)
    info = check_output(out.resized["256x256"], 256, 256, 30, 10)
    audio = next(s for s in info["streams"] if s["codec_type"] == "audio")
    assert float(audio["duration"]) == pytest.approx(3.0, abs=0.05)


def test_source_changed_or_gone_is_rejected(video, make_ctx, tmp_path):
    ctx = make_ctx(STRETCH)
    copy = tmp_path / "src.mp4"
    copy.write_bytes(video("pyscenedetect__delayed_start.mp4").read_bytes())
    clip = clip_of(copy, 3, 20, ctx.recipe.id)
    with open(copy, "ab") as fh:
        fh.write(b"\0")
    assert resize_clip(clip, ctx) == []
    [rec] = list(ctx.jobs.records())
    assert rec["status"] == "rejected" and rec["line"]["stage"] == "resize"
    assert rec["line"]["op"] == "video_resize_resolution_mapper" and "changed since it was split" in rec["line"]["reason"]
    copy.unlink()
    assert resize_clip(clip, ctx) == []
    assert "gone" in next(ctx.jobs.records())["line"]["reason"]
    assert keys(ctx, clip) == []


def test_ffmpeg_failure_raises_with_stderr_tail(video, make_ctx, tmp_path):
    """Same size and mtime (so the source check passes) but garbage bytes: an infrastructure error."""
    ctx = make_ctx(STRETCH)
    copy = tmp_path / "src.mp4"
    copy.write_bytes(video("pyscenedetect__delayed_start.mp4").read_bytes())
    clip = clip_of(copy, 3, 20, ctx.recipe.id)
    st = os.stat(copy)
    copy.write_bytes(b"\x17" * st.st_size)
    os.utime(copy, ns=(st.st_atime_ns, st.st_mtime_ns))
    with pytest.raises(ResizeError, match="ffprobe failed|ffmpeg failed") as err:
        resize_clip(clip, ctx)
    assert "Invalid data" in str(err.value)
    assert keys(ctx, clip) == [] and list(ctx.jobs.records()) == []


# --- frame comparison against the splitter's decoder ---------------------------------------------

def first_frame_gray(path: str) -> np.ndarray:
    cv2 = pytest.importorskip("cv2")
    ok, frame = cv2.VideoCapture(path).read()
    assert ok
    return cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY).astype(np.float32)


def gray_frames(path: str, lo: int, hi: int, size: tuple[int, int]) -> list[np.ndarray]:
    cv2 = pytest.importorskip("cv2")
    cap, out, i = cv2.VideoCapture(path), [], 0
    while i < hi and cap.grab():
        if i >= lo:
            frame = cv2.resize(cap.retrieve()[1], size, interpolation=cv2.INTER_AREA)
            out.append(cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY).astype(np.float32))
        i += 1
    return out


def assert_frame_exact(clip, uri: str, size: tuple[int, int], k: int = 2) -> None:
    """Output frame i is OpenCV's frame start+i: shifting the pairing by 1..k frames only makes it worse."""
    _, times = opencv_times(local(clip.source.uri))
    ours = gray_frames(local(uri), 0, clip.num_frames, size)
    lo = clip.start_frame - k
    ref = gray_frames(local(clip.source.uri), max(0, lo), min(len(times), clip.end_frame + k), size)

    def mse(shift: int) -> float:
        pairs = [(f, clip.start_frame + i + shift - max(0, lo)) for i, f in enumerate(ours)]
        return float(np.mean([np.mean((ref[j] - f) ** 2) for f, j in pairs if 0 <= j < len(ref)]))

    errors = {s: mse(s) for s in range(-k, k + 1)}
    assert len(ours) == clip.num_frames
    assert errors[0] <= min(errors.values()) + 1e-3, errors  # ties: a still shot matches any shift
