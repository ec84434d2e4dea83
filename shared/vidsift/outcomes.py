"""What a record says happened to an input or a clip, in the words every count uses.

A record is accepted, rejected (a decision about the data: a filter's, ``no_clips``,
``duplicate_source``) or failed (it could not be processed: it has an error type that is not a
decision). Its reason is free text ("video_duration 0.5 < min 1"); ``reason_class`` is the one
grouping of reasons the summary, the report and ``vidsift status`` count by, and ``reason_label`` the
same class as a bounded Prometheus label. Nothing here imports the rest of vidsift.
"""

from __future__ import annotations

import re

# Input-level records that are decisions about the input, not failures to process it: counted as
# rejected (not failed) in summaries and metrics.
INPUT_DECISIONS = frozenset({"no_clips", "duplicate_source"})
# Failures that are the input's own: it could not be fetched or read, was refused, changed under us,
# or would not decode in time. A batch with a few of these still succeeds (``vidsift run`` exits 0).
# Every other error type (internal_error, storage_error, model_error, out_of_memory, worker_lost, ...)
# is ours to fix, and fails the run.
INPUT_FAULTS = frozenset({
    "not_found", "input_refused", "source_changed", "corrupt_video", "unreadable", "no_video_stream",
    "unsupported_codec", "no_decodable_frames", "bad_frame", "decode_timeout", "input_timeout",
})


def is_failure(line: dict) -> bool:
    """A record line that says the input or clip could not be processed (not a decision about the data):
    a filter's rejection has no error_type; no_clips and duplicate_source are decisions too."""
    etype = line.get("error_type")
    return bool(etype) and etype not in INPUT_DECISIONS


def failure_kind(line: dict) -> str | None:
    """None (not a failure), 'input' (the input's own fault) or 'system' (ours: model, API, storage, bug)."""
    if not is_failure(line):
        return None
    return "input" if line["error_type"] in INPUT_FAULTS else "system"


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
