"""Dead-letter queues: park a message with its typed error, list what a DLQ holds, replay or settle it.

A message ends in its stage's DLQ (``queues.dlq_name``) two ways: the task gave up on it (a final
error, or the last delivery) and sent it there with ``vidsift-error-type`` headers (``dead_letter``), or
RabbitMQ moved it itself (the delivery limit passed: the worker died on every delivery; or the worker
rejected a body it could not decode). ``vidsift dlq list|settle|replay`` run these tools.
"""

from __future__ import annotations

import json
import logging
import time

from celery import Celery
from kombu.serialization import loads

from . import layout
from .config import Settings
from .jobs import job_store, record_id
from .outcomes import ErrorType
from .pipeline import QUEUES, TASKS
from .queues import DLX, EXCHANGE, dlq_name
from .refs import CLIP_SCHEMA, BadMessage, ClipRef, SourceRef, parse_message

log = logging.getLogger(__name__)

ERROR_HEADER = "vidsift-error-type"
ERROR_MESSAGE_HEADER = "vidsift-error"
# RabbitMQ's own dead-lettering carries no vidsift header; its reason says what happened instead.
_BROKER_REASONS = {
    "delivery_limit": (ErrorType.WORKER_LOST, "the worker died or hit its hard time limit on every delivery "
                                              "(out of memory, a hang, or preemption)"),
    "rejected": (ErrorType.BAD_MESSAGE, "rejected by the worker: a body it could not decode or would not "
                                        "deserialize (or, rarely, an unhandled failure: see the worker log)"),
}
_DEATH_HEADERS = ("x-death", "x-first-death-exchange", "x-first-death-queue", "x-first-death-reason",
                  "x-last-death-exchange", "x-last-death-queue", "x-last-death-reason", "x-delivery-count",
                  ERROR_HEADER, ERROR_MESSAGE_HEADER)


def dead_letter(app: Celery, stage: str, message, error_type: str, error: str) -> None:
    """Park a message in its stage's dead-letter queue with a typed error (replayable as is)."""
    log.error("%s: dead-lettering message (%s): %s", stage, error_type, error)
    app.send_task(TASKS[stage], args=[message], queue=dlq_name(stage), routing_key=dlq_name(stage),
                  exchange=DLX.name, headers={ERROR_HEADER: str(error_type), ERROR_MESSAGE_HEADER: error[:1000]})


def describe_dead_letter(message) -> dict:
    """Type, error and reference of a message in a DLQ (a kombu Message)."""
    headers = message.headers or {}
    reason = headers.get("x-first-death-reason")
    default = _BROKER_REASONS.get(reason, (reason or "unknown", ""))
    try:  # JSON only: a pickle someone put in the queue is never unpickled here either
        ref = loads(message.body, message.content_type, message.content_encoding, accept={"application/json"})[0][0]
    except Exception:  # noqa: BLE001 - an undecodable body is shown as such
        ref = None
    return {"error_type": headers.get(ERROR_HEADER) or str(default[0]),
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
    doc = json.loads(jobs.store.get_bytes(layout.record_key(key)))
    if doc.get("status") == "rejected" and doc["line"].get("error_type") == info["error_type"]:
        jobs.store.delete(layout.record_key(key))


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
