"""Task time limits scaled to the work: a task covering N seconds of media gets FLOOR + PER_MEDIA_SECOND
* N seconds, capped at its stage's maxima (VIDSIFT_TASK_TIME_LIMIT). A source's length is unknown
until probed, so a whole source gets the maxima. The consuming worker decides, not the publisher."""

from __future__ import annotations

from celery.worker.request import Request

from .config import Settings
from .refs import CLIP_SCHEMA, BadMessage, SourceRef, parse_message

LIMIT_FLOOR_S = 60.0
LIMIT_PER_MEDIA_SECOND = 20.0


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
        return scaled_limits(media_seconds(self._payload), conf.task_soft_time_limit, conf.task_time_limit)

    @time_limits.setter
    def time_limits(self, value):  # a publisher's own limits are ignored: the consuming stage decides
        pass


def media_seconds(payload) -> float | None:
    """Seconds of media the task covers: a clip's span, a source range's (``SourceRef.media_seconds``);
    None: not known (a whole source, or a message that does not parse: the task rejects it anyway)."""
    try:
        msg = payload[0][0]
        if msg.get("schema") == CLIP_SCHEMA:
            return max(0.0, float(msg["end"]) - float(msg["start"]))
        return parse_message(msg, SourceRef).media_seconds if msg.get("range_start") is not None else None
    except (TypeError, KeyError, IndexError, ValueError, AttributeError, BadMessage):
        return None
