"""The Python API (vidsift.run / export; vidsift.submit is in test_ingest_schema.py): the commands, in process."""

from __future__ import annotations

import json

import pyarrow.parquet as pq
import pytest

import vidsift
from vidsift.recipe import load_recipe

# Each video one clip (no split ops), resized small: fast, and every format has something to write.
RECIPE = load_recipe("""
- video_duration_filter: {min_duration: 0.5, max_duration: 3}
- video_resize_resolution_mapper: {targets: ["64x64"], mode: stretch}
""")


def test_run_then_export_each_format(video, tmp_path, monkeypatch):
    monkeypatch.setenv("VIDSIFT_SCRATCH_DIR", str(tmp_path))
    table = tmp_path / "t.csv"
    table.write_text(f"url,caption\n{video('imageio__realshort.mp4')},short\n{video('pyscenedetect__counter.mp4')},digits\n"
                     f"{tmp_path / 'missing.mp4'},gone\n")
    summary = vidsift.run(table, tmp_path / "out", recipe=RECIPE, caption_col="caption")  # a Recipe object
    assert summary == json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["accepted_clips"] == 2 and summary["failed_inputs"] == {"not_found": 1}
    assert summary["recipe_id"] == RECIPE.id

    jsonl = vidsift.export(tmp_path / "out", tmp_path / "m.jsonl")
    assert jsonl["accepted_clips"] == 2
    assert (tmp_path / "m.jsonl").read_text() == (tmp_path / "out" / "manifest.jsonl").read_text()
    vidsift.export(tmp_path / "out", tmp_path / "m.parquet")
    assert sorted(pq.read_table(tmp_path / "m.parquet").column("text").to_pylist()) == ["digits", "short"]
    shards = vidsift.export(tmp_path / "out", tmp_path / "wds", format="webdataset", shard_size=1)
    assert [s["samples"] for s in shards["shards"]] == [1, 1]


def test_a_command_s_own_error_is_a_vidsift_error_with_its_exit_code(tmp_path, video):
    with pytest.raises(vidsift.VidsiftError, match="no profile or file 'nope'") as err:
        vidsift.run([video("imageio__realshort.mp4")], tmp_path / "out", recipe="nope")
    assert err.value.exit_code == 2 and not (tmp_path / "out").exists()


def test_a_run_with_a_system_failure_raises_with_its_summary(tmp_path, video, monkeypatch):
    """--strict: an unreadable input fails the run (exit 1); the summary still comes back."""
    with pytest.raises(vidsift.RunFailed) as err:
        vidsift.run([video("imageio__realshort.mp4"), tmp_path / "missing.mp4"], tmp_path / "out",
                    recipe={"process": [{"video_duration_filter": {"min_duration": 0.5}}]}, strict=True)
    assert err.value.exit_code == 1 and err.value.summary["failed_inputs"] == {"not_found": 1}
    assert err.value.summary["accepted_clips"] == 1
