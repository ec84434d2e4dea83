"""One reason classification: the summary, the report and the metrics group reasons the same way."""

import pytest

from vidsift.outcomes import failure_kind, is_failure, reason_class, reason_label


@pytest.mark.parametrize("reason, cls, label", [
    ("video_duration 0.5 < min 1", "video_duration < min", "video_duration_too_low"),
    ("aesthetics_score 3.1e-05 < min 0.4", "aesthetics_score < min", "aesthetics_score_too_low"),
    ("video_width 1920 > max 1800", "video_width > max", "video_width_too_high"),
    ("video_watermark_prob 0.9 >= prob_threshold 0.6", "video_watermark_prob >= prob_threshold",
     "video_watermark_prob_too_high"),
    ("aesthetics_score nan < min 0.4", "aesthetics_score nan < min", "aesthetics_score_too_low"),
    ("video_motion_score could not be computed", "video_motion_score could not be computed",
     "video_motion_score_missing"),
    ("caption  was   empty", "caption was empty", "other"),
    (None, "", "none"),
])
def test_reason_class_and_its_label(reason, cls, label):
    assert reason_class(reason) == cls
    assert reason_label({"reason": reason}) == label
    # equal classes, equal labels: one classification, two spellings
    assert reason_label({"reason": cls}) == label


@pytest.mark.parametrize("error_type, failure, kind", [
    (None, False, None), ("no_clips", False, None), ("duplicate_source", False, None),
    ("corrupt_video", True, "input"), ("input_timeout", True, "input"),
    ("model_error", True, "system"), ("worker_lost", True, "system"), ("something_new", True, "system"),
])
def test_failures_and_whose_fault(error_type, failure, kind):
    line = {"reason": "r", **({"error_type": error_type} if error_type else {})}
    assert is_failure(line) is failure and failure_kind(line) == kind
    if error_type:
        assert reason_label(line) == error_type


def test_error_types_and_their_flags():
    from vidsift.outcomes import ErrorType

    assert {e for e in ErrorType if e.kind == "decision"} == {"no_clips", "duplicate_source"}
    assert {e for e in ErrorType if e.kind == "input"} == {
        "not_found", "input_refused", "source_changed", "corrupt_video", "unreadable", "no_video_stream",
        "unsupported_codec", "no_decodable_frames", "bad_frame", "decode_timeout", "input_timeout"}
    # a retry would not help: failed at once, replayable from the DLQ
    assert {e for e in ErrorType if e.final} == {"decode_timeout", "model_timeout", "out_of_memory", "input_timeout"}
    assert ErrorType("model_error") is ErrorType.MODEL_ERROR and f"{ErrorType.MODEL_ERROR}" == "model_error"
