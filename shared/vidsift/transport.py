"""Celery transport: queue topology and one thin task per stage.

A task validates the message, calls ``pipeline.run_stage`` and publishes the next references —
nothing else. Queues are durable quorum queues with a delivery limit and a dead-letter queue per
stage; messages are JSON only; acks are late (a killed worker's task is redelivered); prefetch is 1;
publishes wait for broker confirms.
"""

from __future__ import annotations

import logging
import time
from functools import lru_cache

from celery import Celery, Task
from celery.exceptions import Reject
from kombu import Exchange, Queue

from .config import Settings, load_settings
from .jobs import JobStore
from .ops.base import STAGES
from .pipeline import QUEUES, TASKS, StageContext, next_stage, run_stage
from .refs import BadMessage, ClipRef, SourceRef, parse_message, to_message
from .storage import open_storage

log = logging.getLogger(__name__)

EXCHANGE = Exchange("vidsift", type="direct", durable=True)
DLX = Exchange("vidsift.dlx", type="direct", durable=True)
DELIVERY_LIMIT = 5  # deliveries of one message before it is dead-lettered
ERROR_HEADER = "vidsift-error-type"


def dlq_name(stage: str) -> str:
    return f"{QUEUES[stage]}.dlq"


def stage_queue(stage: str) -> Queue:
    return Queue(QUEUES[stage], EXCHANGE, routing_key=QUEUES[stage], durable=True, queue_arguments={
        "x-queue-type": "quorum",
        "x-delivery-limit": DELIVERY_LIMIT,
        "x-dead-letter-exchange": DLX.name,
        "x-dead-letter-routing-key": dlq_name(stage),
    })


def dead_letter_queue(stage: str) -> Queue:
    return Queue(dlq_name(stage), DLX, routing_key=dlq_name(stage), durable=True,
                 queue_arguments={"x-queue-type": "quorum"})


def make_app(settings: Settings | None = None) -> Celery:
    settings = settings or load_settings()
    app = Celery("vidsift", broker=settings.broker_url, set_as_current=False)
    app.conf.update(
        task_serializer="json",
        accept_content=["json"],  # never pickle
        result_serializer="json",
        task_ignore_result=True,
        result_backend=None,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        task_acks_on_failure_or_timeout=True,  # failures are handled explicitly below
        worker_prefetch_multiplier=1,
        broker_transport_options={"confirm_publish": True},
        broker_connection_retry_on_startup=True,
        task_queues=[stage_queue(s) for s in STAGES] + [dead_letter_queue(s) for s in STAGES],
        task_routes={TASKS[s]: {"queue": QUEUES[s], "routing_key": QUEUES[s], "exchange": EXCHANGE.name} for s in STAGES},
        task_create_missing_queues=False,
        worker_hijack_root_logger=False,
        worker_detect_quorum_queues=True,
        task_default_exchange=EXCHANGE.name,
        task_default_queue=QUEUES["split"],
        task_default_routing_key=QUEUES["split"],
    )
    for stage in STAGES:
        _register(app, stage, settings)
    return app


@lru_cache(maxsize=64)
def _job_context(settings: Settings, job: str, recipe_id: str) -> StageContext:
    jobs = JobStore(open_storage(f"{settings.storage_url.rstrip('/')}/jobs/{job}", settings), job)
    return StageContext(settings, jobs, jobs.load_recipe(recipe_id))


def _register(app: Celery, stage: str, settings: Settings) -> None:
    kind = SourceRef if stage == "split" else ClipRef

    @app.task(name=TASKS[stage], bind=True, acks_late=True)
    def stage_task(self: Task, message: dict) -> None:
        try:
            ref = parse_message(message, kind)
        except BadMessage as exc:
            dead_letter(app, stage, message, "bad_message", str(exc))
            return
        try:
            ctx = _job_context(settings, ref.job, ref.recipe_id)
            out = run_stage(stage, ref, ctx)
            nxt = next_stage(stage)
            for clip in out:
                publish(app, nxt, to_message(clip))
        except Exception as exc:  # noqa: BLE001 - infrastructure failure: retried, then dead-lettered
            deliveries = _delivery_count(self)
            if deliveries + 1 >= DELIVERY_LIMIT:
                from .runner import error_type

                dead_letter(app, stage, message, error_type(exc), f"{type(exc).__name__}: {exc}")
                return
            backoff = min(2 ** deliveries, 30)
            log.warning("%s: %s (delivery %d); requeued in %ss", stage, exc, deliveries + 1, backoff)
            time.sleep(backoff)
            raise Reject(str(exc), requeue=True) from exc

    return stage_task


def _delivery_count(task: Task) -> int:
    headers = getattr(task.request, "headers", None) or {}
    count = headers.get("x-delivery-count") or getattr(task.request, "x-delivery-count", None) or 0
    if not count and (task.request.delivery_info or {}).get("redelivered"):
        count = 1
    return int(count)


def publish(app: Celery, stage: str, message: dict) -> None:
    app.send_task(TASKS[stage], args=[message], queue=QUEUES[stage], routing_key=QUEUES[stage],
                  exchange=EXCHANGE.name)


def dead_letter(app: Celery, stage: str, message, error_type: str, error: str) -> None:
    """Park a message in its stage's dead-letter queue with a typed error (replayable as is)."""
    log.error("%s: dead-lettering message (%s): %s", stage, error_type, error)
    app.send_task(TASKS[stage], args=[message], queue=dlq_name(stage), routing_key=dlq_name(stage),
                  exchange=DLX.name, headers={ERROR_HEADER: error_type, "vidsift-error": error[:1000]})


def declare_topology(app: Celery) -> None:
    with app.connection_for_write() as conn:
        channel = conn.default_channel
        for stage in STAGES:
            stage_queue(stage)(channel).declare()
            dead_letter_queue(stage)(channel).declare()
