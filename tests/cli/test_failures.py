"""Failed is not rejected: counts apart, exit codes, --strict, --resume --retry-failed (real runs)."""

from __future__ import annotations

import json
import subprocess

import pytest

from tests.captioner.openai_server import OpenAITestServer, completion
from tests.infra import env_with, vidsift_exe
from tests.recipes import CPU_SPLIT

SPLIT_ONLY = """
- video_split_by_scene_mapper: {detector: ContentDetector, threshold: 27.0, min_scene_len: 10}
- video_split_by_duration_mapper: {split_duration: 3, min_last_split_duration: 1}
- video_duration_filter: {min_duration: 1, max_duration: 3}
"""


def _run(*args):
    return subprocess.run([vidsift_exe(), *map(str, args)], capture_output=True, text=True,
                          env=env_with(VIDSIFT_NO_PROGRESS="1"), timeout=600)


def _summary(out):
    return json.loads((out / "summary.json").read_text())


@pytest.fixture
def cpu_recipe(tmp_path):
    path = tmp_path / "cpu.yaml"
    path.write_text(CPU_SPLIT)
    return path


def test_every_input_missing_exits_1(tmp_path, cpu_recipe):
    out = tmp_path / "out"
    proc = _run("run", tmp_path / "a.mp4", tmp_path / "b.mp4", "--out", out, "--recipe", cpu_recipe)
    assert proc.returncode == 1, proc.stderr
    s = _summary(out)
    assert s["failed_inputs"] == {"not_found": 2} and s["failures"] == {"input": 2, "system": 0}
    assert "--retry-failed" in proc.stderr.splitlines()[-1]


def test_a_few_unreadable_inputs_exit_0_unless_strict(tmp_path, video, cpu_recipe):
    inputs = [video("imageio__realshort.mp4"), tmp_path / "missing.mp4"]
    ok = _run("run", *inputs, "--out", tmp_path / "a", "--recipe", cpu_recipe)
    assert ok.returncode == 0, ok.stderr
    s = _summary(tmp_path / "a")
    assert s["failed_inputs"] == {"not_found": 1} and s["failed_clips"] == {}
    assert s["rejected_clips"] > 0 and s["failures"] == {"input": 1, "system": 0}
    strict = _run("run", *inputs, "--out", tmp_path / "b", "--recipe", cpu_recipe, "--strict")
    assert strict.returncode == 1


def test_caption_api_errors_are_failed_clips_and_retry_failed_retries_only_them(tmp_path, video):
    server = OpenAITestServer()
    try:
        server.default = (500, {}, {"error": {"message": "model crashed"}})
        recipe = tmp_path / "cap.yaml"
        recipe.write_text(SPLIT_ONLY + f"- video_captioning_mapper: {{backend: openai, model: test-model, "
                                       f"base_url: '{server.base_url}', max_retries: 0, frame_num: 1}}\n")
        out = tmp_path / "out"
        args = ["run", video("datajuicer__video1.mp4"), "--out", out, "--recipe", recipe]
        first = _run(*args)
        assert first.returncode == 1, first.stderr
        s = _summary(out)
        n = s["failed_clips"].get("model_error", 0)
        assert n == len(server.requests) > 0 and s["accepted_clips"] == 0
        assert s["failures"] == {"input": 0, "system": n}
        # A failure is not a rejection: not in the rejection counts, not under an op.
        assert "model_error" not in json.dumps(s["rejected_by_stage_op"])
        assert s["rejected_clips"] == sum(sum(c.values()) for c in s["rejected_by_stage_op"].values())
        rejected = [json.loads(l) for l in (out / "rejected.jsonl").read_text().splitlines()]
        assert sum(l.get("error_type") == "model_error" for l in rejected) == n

        # --resume alone: a finished run, failures included, is not processed again.
        assert _run(*args, "--resume").returncode == 1 and len(server.requests) == n

        # --resume --retry-failed: the failed clips (only those) are captioned again.
        server.default = (200, {}, completion("A red kite flies over a green hill."))
        again = _run(*args, "--resume", "--retry-failed")
        assert again.returncode == 0, again.stderr
        s2 = _summary(out)
        assert s2["accepted_clips"] == n and s2["failed_clips"] == {} and len(server.requests) == 2 * n
        assert s2["rejected_clips"] == s["rejected_clips"]
        manifest = [json.loads(l) for l in (out / "manifest.jsonl").read_text().splitlines()]
        assert all(l["text"].startswith("A red kite") for l in manifest)
    finally:
        server.stop()


def test_retry_failed_needs_resume(tmp_path, video, cpu_recipe):
    proc = _run("run", video("imageio__realshort.mp4"), "--out", tmp_path / "o", "--recipe", cpu_recipe,
                "--retry-failed")
    assert proc.returncode == 2 and "--resume" in proc.stderr
