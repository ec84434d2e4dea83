"""`vidsift run` checks ops, models, caption APIs and the output before decoding anything (exit 2)."""

from __future__ import annotations

import json
from functools import partial
import time

import pytest

from tests.captioner.openai_server import OpenAITestServer
from tests.cli.helpers import error_line, vidsift
from tests.infra import free_port

SPLIT_ONLY = """
- video_split_by_scene_mapper: {detector: ContentDetector, threshold: 27.0, min_scene_len: 10}
- video_split_by_duration_mapper: {split_duration: 3, min_last_split_duration: 1}
- video_duration_filter: {min_duration: 1, max_duration: 3}
"""
VIDEO = "datajuicer__video1.mp4"


_run = partial(vidsift, timeout=300)
_error = error_line


@pytest.fixture
def server():
    s = OpenAITestServer()
    yield s
    s.stop()


@pytest.fixture
def recipe(tmp_path):
    path = tmp_path / "split.yaml"
    path.write_text(SPLIT_ONLY)
    return path


def test_unreachable_caption_api_fails_at_once_naming_the_op_and_url(tmp_path, video, recipe):
    port = free_port()  # nothing listens here
    out = tmp_path / "out"
    t0 = time.monotonic()
    proc = _run("run", video(VIDEO), "--out", out, "--recipe", recipe, "--caption-backend", "openai",
                "--caption-model", "m", "--caption-base-url", f"http://user:secret@127.0.0.1:{port}/v1")
    assert proc.returncode == 2
    line = _error(proc)
    assert "video_captioning_mapper" in line and f"127.0.0.1:{port}" in line and "--caption-base-url" in line
    assert "secret" not in proc.stderr  # the URL is named without its credentials
    assert time.monotonic() - t0 < 60  # not a retry schedule per clip
    assert not out.exists()  # nothing written for a run that could not start


def test_caption_api_key_and_model_checked_with_one_request_then_run_captions(tmp_path, video, recipe, server):
    server.key = "right-key"
    args = ["run", video(VIDEO), "--recipe", recipe, "--caption-backend", "openai", "--caption-model", "test-model",
            "--caption-base-url", server.base_url, "--caption-api-key-env", "PREFLIGHT_TEST_KEY", "--caption-frames", "1"]
    bad = _run(*args, "--out", tmp_path / "a", PREFLIGHT_TEST_KEY="wrong-key")
    assert bad.returncode == 2
    line = _error(bad)
    assert "refused the API key" in line and "$PREFLIGHT_TEST_KEY" in line and "wrong-key" not in bad.stderr
    assert len(server.gets) == 1 and server.requests == []  # one cheap request, no caption attempted

    server.models = ["another-model"]
    unserved = _run(*args, "--out", tmp_path / "b", PREFLIGHT_TEST_KEY="right-key")
    assert unserved.returncode == 2 and "does not serve model 'test-model'" in _error(unserved)

    server.models = ["test-model"]
    ok = _run(*args, "--out", tmp_path / "c", PREFLIGHT_TEST_KEY="right-key")
    assert ok.returncode == 0, ok.stderr
    lines = (tmp_path / "c" / "manifest.jsonl").read_text().splitlines()
    assert lines and len(server.requests) == len(lines)
    assert all(json.loads(l)["text"].startswith("A brown dog") for l in lines)


def test_model_that_cannot_load_fails_before_decoding(tmp_path, video):
    recipe = tmp_path / "nsfw.yaml"
    recipe.write_text(SPLIT_ONLY + "- video_nsfw_filter: {hf_nsfw_model: /no/such/dir}\n")
    out = tmp_path / "out"
    proc = _run("run", video(VIDEO), "--out", out, "--recipe", recipe)
    assert proc.returncode == 2
    line = _error(proc)
    assert "video_nsfw_filter" in line and "/no/such/dir" in line
    assert not out.exists()


@pytest.mark.parametrize("where", ["file", "under_file", "s3"])
def test_output_that_cannot_be_written_is_refused(tmp_path, video, recipe, where):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    out = {"file": blocker, "under_file": blocker / "out", "s3": "s3://bucket/x"}[where]
    proc = vidsift("run", video(VIDEO), "--out", out, "--recipe", recipe, cwd=tmp_path)
    assert proc.returncode == 2
    line = _error(proc)
    assert str(out) in line and "directory" in line.lower()
    assert blocker.read_text() == "x" and not (tmp_path / "s3:").exists()


def test_existing_run_without_resume_is_a_usage_error(tmp_path, video, recipe):
    out = tmp_path / "out"
    assert _run("run", video("imageio__realshort.mp4"), "--out", out, "--recipe", recipe).returncode == 0
    again = _run("run", video("imageio__realshort.mp4"), "--out", out, "--recipe", recipe)
    assert again.returncode == 2 and "--resume" in _error(again)


def test_a_long_message_keeps_its_op_and_its_fix_on_one_line():
    from vidsift.preflight import one_line

    text = one_line("video_nsfw_filter: cannot load\n" + "detail " * 500 + "\nProvide it as a local directory.")
    assert "\n" not in text and len(text) <= 600
    assert text.startswith("video_nsfw_filter: cannot load") and text.endswith("Provide it as a local directory.")
