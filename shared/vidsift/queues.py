"""The broker's topology: one durable quorum queue per stage, each with its dead-letter queue.

A stage's queue is ``vidsift.<stage>`` (``pipeline.QUEUES``); its dead-letter queue is named here
alone (``dlq_name``: ``vidsift.<stage>.dlq``; the chart's alert rules match the same shape).
RabbitMQ counts every return of a message (a Reject with requeue, a killed worker, a lost channel)
in the x-delivery-count header and dead-letters it once that count would pass ``DELIVERY_LIMIT``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kombu import Exchange, Queue

from .ops.base import STAGES
from .pipeline import QUEUES

if TYPE_CHECKING:  # the queue exporter reads names from here without importing Celery
    from celery import Celery

EXCHANGE = Exchange("vidsift", type="direct", durable=True)
DLX = Exchange("vidsift.dlx", type="direct", durable=True)
DLQ_SUFFIX = ".dlq"
DELIVERY_LIMIT = 5


def dlq_name(stage: str) -> str:
    return QUEUES[stage] + DLQ_SUFFIX


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


def all_queues() -> list[Queue]:
    return [stage_queue(s) for s in STAGES] + [dead_letter_queue(s) for s in STAGES]


def declare_topology(app: Celery) -> None:
    with app.connection_for_write() as conn:
        channel = conn.default_channel
        for stage in STAGES:
            stage_queue(stage)(channel).declare()
            dead_letter_queue(stage)(channel).declare()
