"""One classification of the exceptions that escape a stage, for the embedded runner and the task alike."""

import pytest

from vidsift.errors import classify, time_limit_type
from vidsift.storage import StorageError
from vidsift.storage.http import InputTimeout


@pytest.mark.parametrize("exc, stage, etype", [
    (InputTimeout("no answer"), "split", "input_timeout"),  # a StorageError, but the input host's
    (MemoryError(), "score", "out_of_memory"),
    (StorageError("S3 down"), "caption", "storage_error"),
    (TimeoutError(), "split", "decode_timeout"),
    (RuntimeError("CUDA error"), "score", "model_error"),
    (RuntimeError("CUDA error"), "caption", "model_error"),
    (RuntimeError("bug"), "split", "internal_error"),
    (RuntimeError("bug"), None, "internal_error"),
])
def test_classify(exc, stage, etype):
    assert classify(exc, stage) == etype


def test_a_time_limit_is_a_models_or_decodings():
    assert [time_limit_type(s) for s in ("split", "score", "resize", "caption")] == [
        "decode_timeout", "model_timeout", "decode_timeout", "model_timeout"]
