"""The transport against a real RabbitMQ (a private vhost): how Celery 5.7 shows the quorum queue's
x-delivery-count to a task, that a failing message really ends in vidsift.<stage>.dlq with a typed
error after DELIVERY_LIMIT deliveries, and that `replay` brings it back. A worker runs in this
process (Celery's test worker, solo pool) so the retry backoff can be shortened.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid

import pytest

from vidsift import dlq, queues, time_limits, transport
from vidsift.config import Settings, load_settings
from vidsift.jobs import input_record_id, job_store
from vidsift.recipe import load_recipe
from vidsift.refs import SourceRef, to_message

from .cluster import RECIPE

pytestmark = pytest.mark.integration


@pytest.fixture
def app_and_settings(vhost, tmp_path):
    settings = load_settings(broker_url=vhost[1], storage_url=f"file://{tmp_path}/store", scratch_dir=str(tmp_path))
    app = transport.make_app(settings)
    queues.declare_topology(app)
    return app, settings


def wait(check, timeout=60):
    deadline = time.time() + timeout
    while not check():
        assert time.time() < deadline
        time.sleep(0.2)


def test_failing_message_is_redelivered_then_dead_lettered_typed_and_replayable(app_and_settings, video, tmp_path,
                                                                                  monkeypatch, caplog):
    from celery.contrib.testing.worker import start_worker

    app, settings = app_and_settings
    monkeypatch.setattr(transport, "BACKOFF", (0,))  # real redeliveries, without minutes of waiting
    job = f"dl-{uuid.uuid4().hex[:6]}"
    uri = "file://" + str(video("imageio__realshort.mp4"))
    recipe = load_recipe(_recipe_file(tmp_path))
    # The job's recipe.json is missing: an infrastructure failure on every delivery.
    transport.publish(app, "split", to_message(SourceRef(job=job, uri=uri, recipe_id=recipe.id)))
    caplog.set_level(logging.WARNING, logger="vidsift.transport")
    jobs = job_store(settings, job)
    with start_worker(app, pool="solo", concurrency=1, perform_ping_check=False, queues=["vidsift.split"],
                      shutdown_timeout=10):
        wait(lambda: len(dlq.dead_letters(app, "split")) == 1, 150)
        # The header as Celery 5.7 exposes it: request.headers["x-delivery-count"], absent at first.
        seen = [int(n) for n in re.findall(r"delivery (\d) of 5", caplog.text)]
        assert seen == [1, 2, 3, 4], caplog.text
        (letter,) = dlq.dead_letters(app, "split")
        assert letter["error_type"] == "internal_error" and "recipe.json" in letter["error"]
        assert letter["ref"]["uri"] == uri
        record = jobs.store.get_bytes(f"records/{input_record_id(uri)}.json").decode()
        assert '"error_type":"internal_error"' in record  # the same record the embedded runner writes

        jobs.save_recipe(recipe)  # the cause is fixed; replay
        assert dlq.replay(app, settings, "split", "storage_error") == 0  # another type: left alone
        assert dlq.replay(app, settings, "split", "internal_error") == 1
        # Split now (its clips wait in vidsift.score, which nothing consumes here); the failure record is gone.
        wait(lambda: list(jobs.store.list("sources/")))
        assert not jobs.has_record(input_record_id(uri))
    assert dlq.dead_letters(app, "split") == []


def _recipe_file(tmp_path):
    p = tmp_path / "recipe.yaml"
    p.write_text(RECIPE)
    return str(p)


@pytest.mark.parametrize("seconds, hard, soft", [(None, 600, 540), (3.0, 120, 108), (0.0, 60, 54), (1000, 600, 540)])
def test_time_limits_scale_with_the_work_and_stay_ordered(seconds, hard, soft):
    assert time_limits.scaled_limits(seconds, 540, 600) == (hard, soft)
    assert soft < hard < Settings().broker_consumer_timeout_s


@pytest.mark.parametrize("soft, hard, broker", [(600, 600, 1800), (540, 1800, 1800), (0, 10, 1800)])
def test_time_limits_out_of_order_are_refused(soft, hard, broker):
    with pytest.raises(ValueError, match="VIDSIFT_TASK_SOFT_TIME_LIMIT"):
        transport.make_app(Settings(task_soft_time_limit=soft, task_time_limit=hard, broker_consumer_timeout_s=broker))


def test_json_only_and_failures_never_acked_silently():
    conf = transport.make_app(Settings()).conf
    assert conf.accept_content == ["json"] and conf.task_serializer == "json"
    assert conf.task_acks_late and conf.task_reject_on_worker_lost
    assert not conf.task_acks_on_timeout and not conf.task_acks_on_failure  # never dropped silently
    assert conf.worker_consumer.endswith("DeadLetteringConsumer")


def test_a_message_the_broker_dead_lettered_gets_its_record_by_settle(app_and_settings, video, tmp_path):
    """A worker that dies on every delivery writes nothing; RabbitMQ dead-letters the message after
    DELIVERY_LIMIT returns (here: real returns of a real quorum queue, no worker needed)."""
    app, settings = app_and_settings
    job = f"wl-{uuid.uuid4().hex[:6]}"
    uri = "file://" + str(video("imageio__realshort.mp4"))
    recipe = load_recipe(_recipe_file(tmp_path))
    jobs = job_store(settings, job)
    jobs.save_recipe(recipe)
    transport.publish(app, "split", to_message(SourceRef(job=job, uri=uri, recipe_id=recipe.id)))
    with app.connection_for_write() as conn:
        channel = conn.channel()
        for _ in range(queues.DELIVERY_LIMIT + 1):  # each return counts, as a killed consumer's does
            wait(lambda: channel.queue_declare(queue="vidsift.split", passive=True).message_count
                 + len(dlq.dead_letters(app, "split")) > 0)
            raw = channel.basic_get("vidsift.split", no_ack=False)
            if raw is None:
                break
            channel.basic_reject(raw.delivery_info["delivery_tag"], requeue=True)
        channel.close()
    wait(lambda: len(dlq.dead_letters(app, "split")) == 1)
    (letter,) = dlq.dead_letters(app, "split")
    assert letter["error_type"] == "worker_lost"
    assert jobs.outstanding([uri]) == [uri]  # no record: the job would wait for it forever

    assert dlq.settle(app, settings, "split") == 1
    assert dlq.settle(app, settings, "split") == 0  # idempotent
    assert jobs.outstanding([uri]) == []
    line = json.loads(jobs.store.get_bytes(f"records/{input_record_id(uri)}.json"))["line"]
    assert line["error_type"] == "worker_lost" and "vidsift dlq replay split --type worker_lost" in line["reason"]
    assert len(dlq.dead_letters(app, "split")) == 1  # still there to replay
    assert dlq.replay(app, settings, "split", "worker_lost") == 1
    assert not jobs.has_record(input_record_id(uri))  # the replayed input is in flight again
