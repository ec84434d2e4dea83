"""Celery transport: queue topology and one thin task per stage.

A task validates the message, calls ``pipeline.run_stage`` and publishes the next references —
nothing else. Queues are durable quorum queues with a delivery limit and a dead-letter queue per
stage; messages are JSON only; acks are late (a killed worker's task is redelivered); prefetch is 1;
publishes wait for broker confirms. docs/reliability.md explains each fault and what happens.
"""

from __future__ import annotations

import json
import logging
import time
from functools import lru_cache

from celery import Celery, Task
from celery.exceptions import Reject, SoftTimeLimitExceeded
from celery.worker.consumer import Consumer
from celery.worker.request import Request
from kombu import Exchange, Queue
from kombu.serialization import loads

from .config import Settings, load_settings
from .jobs import JobStore, record_id
from .metrics import instrument
from .ops.base import STAGES
from .pipeline import QUEUES, TASKS, StageContext, route, run_stage
from .refs import CLIP_SCHEMA, BadMessage, ClipRef, SourceRef, parse_message, to_message
from .storage import open_storage
from .storage.http import InputTimeout

log = logging.getLogger(__name__)

EXCHANGE = Exchange("vidsift", type="direct", durable=True)
DLX = Exchange("vidsift.dlx", type="direct", durable=True)
# RabbitMQ counts every return of a message (a Reject with requeue, a killed worker, a lost channel)
# in the x-delivery-count header and dead-letters it once that count would pass this limit; the
# task dead-letters it itself one delivery earlier, with a typed error (see stage_task).
DELIVERY_LIMIT = 5
ERROR_HEADER = "vidsift-error-type"
ERROR_MESSAGE_HEADER = "vidsift-error"
# Seconds to wait before handing a failed message back: long enough in total (3+10+30+90 s) to ride
# out a storage or broker restart, short of RabbitMQ's consumer timeout.
BACKOFF = (3, 10, 30, 90)
# Errors a retry is unlikely to fix (the input is as slow or as large the next time, a third-party
# host that did not answer is not ours to wait for): final at once, replayable from the DLQ.
FINAL_ERRORS = {"decode_timeout", "model_timeout", "out_of_memory", "input_timeout"}
# Time limit of a task covering N seconds of media: FLOOR + PER_MEDIA_SECOND * N, capped at the
# stage's maxima (VIDSIFT_TASK_TIME_LIMIT). A source's length is unknown until probed: maxima.
LIMIT_FLOOR_S = 60.0
LIMIT_PER_MEDIA_SECOND = 20.0


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


def check_time_limits(settings: Settings) -> None:
    soft, hard, broker = settings.task_soft_time_limit, settings.task_time_limit, settings.broker_consumer_timeout_s
    if not 0 < soft < hard < broker:
        raise ValueError(
            f"time limits must satisfy 0 < VIDSIFT_TASK_SOFT_TIME_LIMIT ({soft}) < VIDSIFT_TASK_TIME_LIMIT "
            f"({hard}) < VIDSIFT_BROKER_CONSUMER_TIMEOUT_S ({broker}, RabbitMQ's consumer_timeout)"
        )


def scaled_limits(media_seconds: float | None, soft_max: float, hard_max: float) -> tuple[float, float]:
    """(hard, soft) for a task over media_seconds of video; soft leaves the task time to clean up."""
    hard = hard_max if media_seconds is None else min(hard_max, LIMIT_FLOOR_S + LIMIT_PER_MEDIA_SECOND * media_seconds)
    soft = min(soft_max, hard - max(5.0, 0.1 * hard))
    return hard, soft


class ScaledRequest(Request):
    """Time limits from the work's length, decided by the consuming worker (its stage's maxima)."""

    @property
    def time_limits(self):
        conf = self._app.conf
        return scaled_limits(_media_seconds(self._payload), conf.task_soft_time_limit, conf.task_time_limit)

    @time_limits.setter
    def time_limits(self, value):  # a publisher's own limits are ignored: the consuming stage decides
        pass


def _media_seconds(payload) -> float | None:
    """Seconds of media the task covers: a clip's span, a source range's (``SourceRef.media_seconds``);
    None: not known (a whole source, or a message that does not parse: the task rejects it anyway)."""
    try:
        msg = payload[0][0]
        if msg.get("schema") == CLIP_SCHEMA:
            return max(0.0, float(msg["end"]) - float(msg["start"]))
        return parse_message(msg, SourceRef).media_seconds if msg.get("range_start") is not None else None
    except (TypeError, KeyError, IndexError, ValueError, AttributeError, BadMessage):
        return None


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
    jobs = job_store(settings, job)
    # Records and stage events feed this worker's metrics (no-ops when it serves none).
    return instrument(StageContext(settings, jobs, jobs.load_recipe(recipe_id)))


def job_store(settings: Settings, job: str) -> JobStore:
    return JobStore(open_storage(f"{settings.storage_url.rstrip('/')}/jobs/{job}", settings), job)


def _register(app: Celery, stage: str, settings: Settings) -> None:
    kind = SourceRef if stage == "split" else ClipRef

    # shared=False: a second app in the same process (other settings) must not take over this task.
    @app.task(name=TASKS[stage], bind=True, acks_late=True, Request=ScaledRequest, shared=False)
    def stage_task(self: Task, message: dict) -> None:
        try:
            ref = parse_message(message, kind)
        except BadMessage as exc:
            dead_letter(app, stage, message, "bad_message", str(exc))
            return
        try:
            ctx = _job_context(settings, ref.job, ref.recipe_id)
            for item in run_stage(stage, ref, ctx):
                publish(app, route(stage, item), to_message(item))
        except Exception as exc:  # noqa: BLE001 - infrastructure failure: retried, then dead-lettered
            etype, text = classify(stage, exc)
            deliveries = delivery_count(self)
            if deliveries + 1 >= DELIVERY_LIMIT or etype in FINAL_ERRORS:
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


def classify(stage: str, exc: BaseException) -> tuple[str, str]:
    """The typed error of a failure, and a message without credentials (storage errors carry none)."""
    from .runner import error_type

    if isinstance(exc, InputTimeout):
        return "input_timeout", str(exc)
    if isinstance(exc, SoftTimeLimitExceeded):
        etype = "decode_timeout" if stage in ("split", "resize") else "model_timeout"
        return etype, f"{stage} exceeded its soft time limit ({exc})"
    etype = error_type(exc)
    if etype == "internal_error" and stage in ("score", "caption"):
        etype = "model_error"
    return etype, f"{type(exc).__name__}: {exc}"[:2000]


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


def dead_letter(app: Celery, stage: str, message, error_type: str, error: str) -> None:
    """Park a message in its stage's dead-letter queue with a typed error (replayable as is)."""
    log.error("%s: dead-lettering message (%s): %s", stage, error_type, error)
    app.send_task(TASKS[stage], args=[message], queue=dlq_name(stage), routing_key=dlq_name(stage),
                  exchange=DLX.name, headers={ERROR_HEADER: error_type, ERROR_MESSAGE_HEADER: error[:1000]})


def declare_topology(app: Celery) -> None:
    with app.connection_for_write() as conn:
        channel = conn.default_channel
        for stage in STAGES:
            stage_queue(stage)(channel).declare()
            dead_letter_queue(stage)(channel).declare()


# --- dead-letter queues: inspect and replay -------------------------------------------------------
# RabbitMQ's own dead-lettering carries no vidsift header; its reason says what happened instead.
_BROKER_REASONS = {
    "delivery_limit": ("worker_lost", "the worker died or hit its hard time limit on every delivery "
                                      "(out of memory, a hang, or preemption)"),
    "rejected": ("bad_message", "rejected by the worker: a body it could not decode or would not deserialize "
                                "(or, rarely, an unhandled failure: see the worker log)"),
}
_DEATH_HEADERS = ("x-death", "x-first-death-exchange", "x-first-death-queue", "x-first-death-reason",
                  "x-last-death-exchange", "x-last-death-queue", "x-last-death-reason", "x-delivery-count",
                  ERROR_HEADER, ERROR_MESSAGE_HEADER)


def describe_dead_letter(message) -> dict:
    """Type, error and reference of a message in a DLQ (a kombu Message)."""
    headers = message.headers or {}
    reason = headers.get("x-first-death-reason")
    default = _BROKER_REASONS.get(reason, (reason or "unknown", ""))
    try:  # JSON only: a pickle someone put in the queue is never unpickled here either
        ref = loads(message.body, message.content_type, message.content_encoding, accept={"application/json"})[0][0]
    except Exception:  # noqa: BLE001 - an undecodable body is shown as such
        ref = None
    return {"error_type": headers.get(ERROR_HEADER) or default[0],
            "error": headers.get(ERROR_MESSAGE_HEADER) or default[1],
            "task_id": headers.get("id"), "ref": ref}


def dead_letters(app: Celery, stage: str, limit: int = 1000) -> list[dict]:
    """Up to limit messages of the stage's DLQ, left in place (fetched unacked, returned on close)."""
    out = []
    with app.connection_for_write() as conn:
        channel = conn.channel()
        try:
            while len(out) < limit:
                msg = _get(channel, dlq_name(stage))
                if msg is None:
                    break
                out.append(describe_dead_letter(msg))
        finally:
            channel.close()
        # A quorum queue takes the returned messages back asynchronously: wait (briefly) until they
        # are visible again, so a replay right after a listing finds them.
        channel, deadline = conn.channel(), time.monotonic() + 10
        try:
            while (channel.queue_declare(queue=dlq_name(stage), passive=True).message_count < len(out)
                   and time.monotonic() < deadline):
                time.sleep(0.05)
        finally:
            channel.close()
    return out


def replay(app: Celery, settings: Settings, stage: str, error_type: str | None = None) -> int:
    """Move the stage's dead letters (of one error type, or all) back into its queue, as they were.

    A final failure wrote a rejected record; it is deleted first, or the replayed clip would be
    skipped as finished. The copy leaves the DLQ only after the broker confirmed the republish.
    """
    from kombu import Producer

    replayed = 0
    with app.connection_for_write() as conn:
        channel = conn.channel()
        try:
            total = channel.queue_declare(queue=dlq_name(stage), passive=True).message_count
            producer = Producer(channel)
            for _ in range(total):
                msg = _get(channel, dlq_name(stage))
                if msg is None:
                    break
                info = describe_dead_letter(msg)
                if error_type and info["error_type"] != error_type:
                    continue  # left unacked: back in the DLQ when the channel closes
                _drop_failure_record(settings, info)
                headers = {k: v for k, v in (msg.headers or {}).items() if k not in _DEATH_HEADERS}
                producer.publish(msg.body, exchange=EXCHANGE.name, routing_key=QUEUES[stage], headers=headers,
                                 content_type=msg.content_type, content_encoding=msg.content_encoding,
                                 delivery_mode=2, correlation_id=headers.get("id"), retry=True)
                msg.ack()
                replayed += 1
        finally:
            channel.close()
    return replayed


def _get(channel, queue: str):
    """One unacked message as a kombu Message (decode, ack), or None when the queue is empty."""
    raw = channel.basic_get(queue, no_ack=False)
    return None if raw is None else channel.message_to_python(raw)


def _letter_ref(info: dict) -> tuple[SourceRef | ClipRef, str] | None:
    """The validated reference of a dead letter (its job id names a storage folder) and its record id."""
    kind = ClipRef if (info["ref"] or {}).get("schema") == CLIP_SCHEMA else SourceRef
    try:
        ref = parse_message(info["ref"], kind)
    except BadMessage:
        return None
    return ref, record_id(ref)


def _drop_failure_record(settings: Settings, info: dict) -> None:
    found = _letter_ref(info)
    if found is None:
        return
    ref, key = found
    jobs = job_store(settings, ref.job)
    if not jobs.has_record(key):
        return
    doc = json.loads(jobs.store.get_bytes(f"records/{key}.json"))
    if doc.get("status") == "rejected" and doc["line"].get("error_type") == info["error_type"]:
        jobs.store.delete(f"records/{key}.json")


def settle(app: Celery, settings: Settings, stage: str, limit: int = 100_000) -> int:
    """Give each dead letter without a record its failure record; the messages stay for ``replay``.

    A message the broker dead-lettered itself (the worker died on every delivery: ``worker_lost``)
    has no record, because no delivery ran to the end to write one, so its job would count the input
    or clip as still in flight. After settling, the job is complete with that failure in its
    rejected rows; ``replay`` deletes the record again (same error type) before retrying.
    """
    settled = 0
    for info in dead_letters(app, stage, limit):
        found = _letter_ref(info)
        if found is None:
            continue  # an undecodable body names no job
        ref, key = found
        jobs = job_store(settings, ref.job)
        if jobs.has_record(key):
            continue
        text = f"{info['error']} (dead-lettered; `vidsift dlq replay {stage} --type {info['error_type']}` retries it)"
        jobs.record_failure(ref, stage, text, info["error_type"])
        settled += 1
    return settled
