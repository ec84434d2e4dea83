"""`vidsift worker STAGE -- <celery args>` and the importable Celery app, on a real RabbitMQ (own vhost)."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

from tests.alerts.broker import broker_url, temp_vhost
from tests.infra import env_with, vidsift_exe

CELERY = str(Path(sys.executable).with_name("celery"))


def _inspect(env, *args) -> dict:
    res = subprocess.run([CELERY, "-A", "vidsift.celery_app:app", "inspect", *args, "--json", "--timeout", "3"],
                         env=env, capture_output=True, text=True, timeout=60)
    line = next((l for l in res.stdout.splitlines() if l.startswith("{")), "{}")
    return json.loads(line)


def test_celery_args_pass_through_and_celery_inspects_the_worker(tmp_path):
    with temp_vhost("worker") as vhost:
        env = env_with(VIDSIFT_BROKER_URL=broker_url(vhost), VIDSIFT_STORAGE_URL=(tmp_path / "s").as_uri(),
                       VIDSIFT_SCRATCH_DIR=str(tmp_path))
        name = f"passthru-{uuid.uuid4().hex[:6]}@{socket.gethostname()}"
        log = open(tmp_path / "worker.log", "wb")
        proc = subprocess.Popen([vidsift_exe(), "worker", "split", "--pool", "solo", "--loglevel", "WARNING",
                                 "--", "-E", "-n", name], env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline, queues = time.time() + 90, {}
            while time.time() < deadline and name not in queues:
                assert proc.poll() is None, (tmp_path / "worker.log").read_text()
                queues = _inspect(env, "active_queues")
                time.sleep(1)
            # The node name came from the passed-through -n (vidsift's own is split@host); the queue is still the stage's.
            assert [q["name"] for q in queues[name]] == ["vidsift.split"], queues
            assert _inspect(env, "active", "-d", name) == {name: []}
        finally:
            proc.terminate()
            proc.wait(30)


def test_the_stage_s_queue_cannot_be_overridden():
    res = subprocess.run([vidsift_exe(), "worker", "split", "--", "-Q", "other"], capture_output=True, text=True)
    assert res.returncode == 2 and "-Q/--queues cannot be passed through" in res.stderr
