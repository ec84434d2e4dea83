"""What a record says happened to an input or a clip, in the words every count uses.

A record is accepted, rejected (a decision about the data: a filter's, ``no_clips``,
``duplicate_source``) or failed (it could not be processed: it has an error type that is not a
decision). Its reason is free text ("video_duration 0.5 < min 1"); ``reason_class`` is the one
grouping of reasons the summary, the report and ``vidsift status`` count by, and ``reason_label`` the
same class as a bounded Prometheus label. ``ErrorType`` is every error type there is, and what it
means for counting and retrying (``errors.classify`` says which one an exception is). Nothing here
imports the rest of vidsift.
"""

from __future__ import annotations

import re
from enum import StrEnum

DECISION, INPUT, SYSTEM = "decision", "input", "system"


class ErrorType(StrEnum):
    """Every ``error_type`` a record or a dead letter carries, with what it means.

    ``kind``: ``decision`` (an input-level rejection: a decision about the input, not a failure to
    process it), ``input`` (a failure that is the input's own: it could not be fetched or read, was
    refused, changed under us, or would not decode in time; a batch with a few still succeeds, as
    ``vidsift run`` exits 0) or ``system`` (ours to fix: a model, an API, storage, a bug; fails the run).
    ``final``: a retry is unlikely to help (the input is as slow or as large the next time, a host that
    did not answer is not ours to wait for), so the transport fails it at once, replayable from the
    DLQ; every other raised failure is retried up to the queue's delivery limit. An error type not
    listed here (an older record, a plugin's) counts as a system failure.
    """

    def __new__(cls, value: str, kind: str, final: bool = False):
        member = str.__new__(cls, value)
        member._value_ = value
        member.kind = kind
        member.final = final
        return member

    NO_CLIPS = "no_clips", DECISION
    DUPLICATE_SOURCE = "duplicate_source", DECISION
    NOT_FOUND = "not_found", INPUT
    INPUT_REFUSED = "input_refused", INPUT
    SOURCE_CHANGED = "source_changed", INPUT
    CORRUPT_VIDEO = "corrupt_video", INPUT
    UNREADABLE = "unreadable", INPUT
    NO_VIDEO_STREAM = "no_video_stream", INPUT
    UNSUPPORTED_CODEC = "unsupported_codec", INPUT
    NO_DECODABLE_FRAMES = "no_decodable_frames", INPUT
    BAD_FRAME = "bad_frame", INPUT
    DECODE_TIMEOUT = "decode_timeout", INPUT, True
    INPUT_TIMEOUT = "input_timeout", INPUT, True
    MODEL_TIMEOUT = "model_timeout", SYSTEM, True
    OUT_OF_MEMORY = "out_of_memory", SYSTEM, True
    MODEL_ERROR = "model_error", SYSTEM
    STORAGE_ERROR = "storage_error", SYSTEM
    INTERNAL_ERROR = "internal_error", SYSTEM
    WORKER_LOST = "worker_lost", SYSTEM  # the broker dead-lettered it: the worker died on every delivery
    BAD_MESSAGE = "bad_message", SYSTEM  # a message that does not parse or decode
    # `vidsift export --recipe`: a clip the new recipe sends through a filter it never reached
    # (rethreshold.py); counted with the failures, as it has always been
    NEEDS_RECOMPUTE = "needs_recompute", SYSTEM

    @classmethod
    def kind_of(cls, error_type: str) -> str:
        member = cls._value2member_map_.get(error_type)
        return member.kind if member is not None else SYSTEM


def is_failure(line: dict) -> bool:
    """A record line that says the input or clip could not be processed (not a decision about the data):
    a filter's rejection has no error_type; no_clips and duplicate_source are decisions too."""
    etype = line.get("error_type")
    return bool(etype) and ErrorType.kind_of(etype) != DECISION


def failure_kind(line: dict) -> str | None:
    """None (not a failure), 'input' (the input's own fault) or 'system' (ours: model, API, storage, bug)."""
    if not is_failure(line):
        return None
    return ErrorType.kind_of(line["error_type"])


# --- reasons ---------------------------------------------------------------------------------
_NUMBER = re.compile(r"-?\d+(\.\d+)?(e-?\d+)?")
# Filters word their reasons "<stat> <value> <comparison> <bound>" (range_reason() in ops/base.py:
# "video_width 1920 > max 1800"; the scorer: "video_watermark_prob 0.9 >= prob_threshold 0.6") or
# "<stat> could not be computed". Matched on the class (numbers gone); a value that is not a number
# is still there, hence the optional word.
_RANGE = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*) (?:(?:\S+ )?([<>])=? |could not be computed)")
_LABEL = re.compile(r"[^a-z0-9_]+")
_MAX_LABEL = 48


def reason_class(reason: str | None) -> str:
    """A reason without its numbers ('video_duration 0.5 < min 1' -> 'video_duration < min')."""
    if not reason:
        return ""
    return re.sub(r"\s+", " ", _NUMBER.sub("", reason)).strip()


def label(value: object, default: str = "none") -> str:
    """A bounded Prometheus label value: lower case, [a-z0-9_], at most 48 characters."""
    text = _LABEL.sub("_", str(value or "").lower()).strip("_")[:_MAX_LABEL]
    return text or default


def reason_label(line: dict) -> str:
    """The class of a rejected record as a bounded label: its error type, or which stat left its range
    and how ('aesthetics_score_too_low', 'video_motion_score_missing'); 'other' for any other reason."""
    if line.get("error_type"):
        return label(line["error_type"])
    m = _RANGE.match(reason_class(line.get("reason")))
    if not m:
        return "other" if line.get("reason") else "none"
    direction = {"<": "too_low", ">": "too_high", None: "missing"}[m.group(2)]
    return label(f"{m.group(1)}_{direction}")
