"""Celery transport: the app and one thin task per stage.

A task validates the message, calls ``pipeline.run_stage`` and publishes the next references —
nothing else. Queues are durable quorum queues with a delivery limit and a dead-letter queue per
stage (``queues``); messages are JSON only; acks are late (a killed worker's task is redelivered);
prefetch is 1; publishes wait for broker confirms; time limits scale with the work (``time_limits``);
a failure's type is ``errors.classify``'s; what gives up goes to the DLQ (``dlq``).
docs/reliability.md explains each fault and what happens.
"""

from __future__ import annotations

import logging
import time
from functools import lru_cache

from celery import Celery, Task
from celery.exceptions import Reject, SoftTimeLimitExceeded
from celery.worker.consumer import Consumer

from .config import Settings, load_settings
from .dlq import dead_letter
from .errors import classify as classify_error, time_limit_type
from .jobs import job_store
from .metrics import instrument
from .ops.base import STAGES
from .outcomes import ErrorType
from .pipeline import QUEUES, TASKS, StageContext, route, run_stage
from .queues import DELIVERY_LIMIT, EXCHANGE, all_queues, declare_topology
from .refs import BadMessage, ClipRef, SourceRef, parse_message, to_message
from .stages import first_stage
from .time_limits import ScaledRequest, check_time_limits

log = logging.getLogger(__name__)

# Seconds to wait before handing a failed message back: long enough in total (3+10+30+90 s) to ride
# out a storage or broker restart, short of RabbitMQ's consumer timeout.
BACKOFF = (3, 10, 30, 90)

# declare_topology: what a worker or submit runs next to make_app, so it is here too.
__all__ = ["BACKOFF", "DeadLetteringConsumer", "classify", "declare_topology", "delivery_count", "fail",
           "make_app", "publish"]


class DeadLetteringConsumer(Consumer):
    """Celery acks (drops) a message whose body does not decode; reject it so it reaches the DLQ."""

    def on_decode_error(self, message, exc):
        log.error("undecodable message (%s, %s): dead-lettered as bad_message: %s",
                  message.content_type, message.content_encoding, exc)
        message.reject(requeue=False)


def make_app(settings: Settings | None = None) -> Celery:
    settings = settings or load_settings()
    check_time_limits(settings)
    app = Celery("vidsift", broker=settings.broker_url, set_as_current=False)
    app.conf.update(
        task_serializer="json",
        accept_content=["json"],  # never pickle
        result_serializer="json",
        task_ignore_result=True,
        result_backend=None,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        task_acks_on_failure=False,  # failures are handled in the task; anything escaping goes to the DLQ
        task_acks_on_timeout=False,  # a hard time limit requeues (counted), never drops the message
        task_soft_time_limit=settings.task_soft_time_limit,
        task_time_limit=settings.task_time_limit,
        worker_consumer=f"{__name__}:DeadLetteringConsumer",
        worker_prefetch_multiplier=1,
        broker_transport_options={"confirm_publish": True},
        broker_connection_retry_on_startup=True,
        broker_connection_max_retries=None,  # a broker restart is waited out, never fatal
        task_queues=all_queues(),
        task_routes={TASKS[s]: {"queue": QUEUES[s], "routing_key": QUEUES[s], "exchange": EXCHANGE.name} for s in STAGES},
        task_create_missing_queues=False,
        worker_hijack_root_logger=False,
        worker_detect_quorum_queues=True,
        task_default_exchange=EXCHANGE.name,
        task_default_queue=QUEUES[first_stage()],
        task_default_routing_key=QUEUES[first_stage()],
    )
    for stage in STAGES:
        _register(app, stage, settings)
    return app


@lru_cache(maxsize=64)
def _job_context(settings: Settings, job: str, recipe_id: str) -> StageContext:
    jobs = job_store(settings, job)
    # Records and stage events feed this worker's metrics (no-ops when it serves none).
    return instrument(StageContext(settings, jobs, jobs.load_recipe(recipe_id)))


def _register(app: Celery, stage: str, settings: Settings) -> None:
    kind = SourceRef if stage == first_stage() else ClipRef

    # shared=False: a second app in the same process (other settings) must not take over this task.
    @app.task(name=TASKS[stage], bind=True, acks_late=True, Request=ScaledRequest, shared=False)
    def stage_task(self: Task, message: dict) -> None:
        try:
            ref = parse_message(message, kind)
        except BadMessage as exc:
            dead_letter(app, stage, message, ErrorType.BAD_MESSAGE, str(exc))
            return
        try:
            ctx = _job_context(settings, ref.job, ref.recipe_id)
            for item in run_stage(stage, ref, ctx):
                publish(app, route(stage, item), to_message(item))
        except Exception as exc:  # infrastructure failure: retried, then dead-lettered
            etype, text = classify(stage, exc)
            deliveries = delivery_count(self)
            if deliveries + 1 >= DELIVERY_LIMIT or etype.final:
                fail(app, settings, stage, ref, message, etype, text)
                return
            backoff = BACKOFF[min(deliveries, len(BACKOFF) - 1)]
            log.warning("%s: %s (delivery %d of %d); requeued in %ss", stage, text, deliveries + 1,
                        DELIVERY_LIMIT, backoff)
            try:
                time.sleep(backoff)
            except SoftTimeLimitExceeded:
                pass  # the limit fell inside the backoff: requeue all the same, never let it escape (acked)
            raise Reject(text, requeue=True) from exc

    return stage_task


def delivery_count(task: Task) -> int:
    """Earlier deliveries of this message: RabbitMQ's quorum-queue header, which Celery copies into
    ``request.headers`` (absent on the first delivery; verified in tests/reliability/test_transport.py)."""
    return int((task.request.headers or {}).get("x-delivery-count") or 0)


def classify(stage: str, exc: BaseException) -> tuple[ErrorType, str]:
    """The typed error of a failure, and a message without credentials (storage errors carry none)."""
    if isinstance(exc, SoftTimeLimitExceeded):
        return time_limit_type(stage), f"{stage} exceeded its soft time limit ({exc})"
    etype = classify_error(exc, stage)
    return etype, str(exc) if etype is ErrorType.INPUT_TIMEOUT else f"{type(exc).__name__}: {exc}"[:2000]


def fail(app: Celery, settings: Settings, stage: str, ref, message: dict, etype: str, text: str) -> None:
    """Final failure: a rejected record (as the embedded runner writes it), and the message parked in
    the stage's DLQ for `vidsift dlq replay`. The DLQ copy is kept even if the record cannot be written."""
    try:
        job_store(settings, ref.job).record_failure(ref, stage, text, etype)
    except Exception as exc:  # noqa: BLE001 - storage may be the failure; the DLQ still holds the message
        log.error("%s: could not write the failure record: %s", stage, exc)
    dead_letter(app, stage, message, etype, text)


def publish(app: Celery, stage: str, message: dict) -> None:
    app.send_task(TASKS[stage], args=[message], queue=QUEUES[stage], routing_key=QUEUES[stage],
                  exchange=EXCHANGE.name)
