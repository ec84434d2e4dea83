"""Errors are one line that names the setting or URL (no traceback unless --debug), exit code 2 for setup."""

from __future__ import annotations

from functools import partial

import pytest

from tests.cli.helpers import error_line, vidsift
from tests.infra import free_port
from tests.recipes import CPU_SPLIT


_vidsift = partial(vidsift, timeout=120)
_one_error = partial(error_line, max_lines=3)


@pytest.fixture
def recipe(tmp_path):
    path = tmp_path / "r.yaml"
    path.write_text(CPU_SPLIT)
    return path


def test_a_bad_setting_names_its_variable(tmp_path, video, recipe):
    proc = _vidsift("run", video("imageio__realshort.mp4"), "--out", tmp_path / "o", "--recipe", recipe,
                    VIDSIFT_METRICS_PORT="abc")
    assert proc.returncode == 2
    assert "VIDSIFT_METRICS_PORT=abc: not an integer" in _one_error(proc)
    assert not (tmp_path / "o").exists()


def test_config_file_unknown_key_and_bad_value_are_errors(tmp_path, video, recipe):
    config = tmp_path / "vidsift.yaml"
    config.write_text("VIDSIFT_METRICS_PROT: 9100\n")
    proc = _vidsift("--config", config, "run", video("imageio__realshort.mp4"), "--out", tmp_path / "o",
                    "--recipe", recipe)
    assert proc.returncode == 2
    line = _one_error(proc)
    assert "'VIDSIFT_METRICS_PROT'" in line and "did you mean VIDSIFT_METRICS_PORT?" in line and str(config) in line

    config.write_text("VIDSIFT_HTTP_TIMEOUT_S: soon\n")
    proc = _vidsift("--config", config, "run", video("imageio__realshort.mp4"), "--out", tmp_path / "o",
                    "--recipe", recipe)
    assert proc.returncode == 2
    assert f"VIDSIFT_HTTP_TIMEOUT_S=soon (in {config}): not a number" in _one_error(proc)


@pytest.mark.parametrize("command", [["submit", "{video}", "--job", "j1", "--recipe", "local"], ["dlq", "list", "split"]])
def test_broker_down_is_one_line_naming_the_url_and_nothing_is_written(tmp_path, video, command):
    port = free_port()
    args = [a.replace("{video}", str(video("imageio__realshort.mp4"))) for a in command]
    proc = _vidsift(*args, cwd=tmp_path, VIDSIFT_BROKER_URL=f"amqp://guest:hunter2@127.0.0.1:{port}//",
                    VIDSIFT_STORAGE_URL="file://./vidsift-data")
    assert proc.returncode == 2
    line = _one_error(proc)
    assert f"127.0.0.1:{port}" in line and "VIDSIFT_BROKER_URL" in line
    assert "hunter2" not in proc.stderr + proc.stdout
    assert list(tmp_path.iterdir()) == []  # no ./vidsift-data/jobs/j1/recipe.json


def test_object_store_down_names_it_and_debug_shows_the_traceback(tmp_path, video, rabbitmq_url):
    port = free_port()
    env = dict(VIDSIFT_BROKER_URL=rabbitmq_url, VIDSIFT_STORAGE_URL="s3://bucket/vidsift",
               VIDSIFT_S3_ENDPOINT_URL=f"http://127.0.0.1:{port}", AWS_ACCESS_KEY_ID="AKIDTEST",
               AWS_SECRET_ACCESS_KEY="topsecretkey", AWS_MAX_ATTEMPTS="1")
    args = ["submit", video("imageio__realshort.mp4"), "--job", "j-s3-down", "--recipe", "local"]
    proc = _vidsift(*args, cwd=tmp_path, **env)
    assert proc.returncode == 1
    line = _one_error(proc)
    assert f"127.0.0.1:{port}" in line and "s3://bucket/vidsift" in line and "--debug" in line
    assert "topsecretkey" not in proc.stderr
    debug = _vidsift(*args, cwd=tmp_path, VIDSIFT_DEBUG="1", **env)
    assert debug.returncode == 1 and "Traceback" in debug.stderr
