"""Which ``ErrorType`` a failure is: the one classification of exceptions that escape a stage.

The embedded runner and the Celery task adapter both call ``classify``, so a failure is recorded
under the same type whichever ran it. Input errors a stage handles itself (a corrupt file, a missing
object) never get here: the stage records them as rejections with their own type.
"""

from __future__ import annotations

from .outcomes import ErrorType
from .storage import StorageError
from .storage.http import InputTimeout

# Stages whose failures are a model's or an API's: an unexpected error there is a model_error.
MODEL_STAGES = ("score", "caption")


def classify(exc: BaseException, stage: str | None = None) -> ErrorType:
    if isinstance(exc, InputTimeout):  # a storage error too, but the host of an input did not answer
        return ErrorType.INPUT_TIMEOUT
    if isinstance(exc, MemoryError):
        return ErrorType.OUT_OF_MEMORY
    if isinstance(exc, StorageError):
        return ErrorType.STORAGE_ERROR
    if isinstance(exc, TimeoutError):
        return ErrorType.DECODE_TIMEOUT
    if stage in MODEL_STAGES:
        return ErrorType.MODEL_ERROR
    return ErrorType.INTERNAL_ERROR


def time_limit_type(stage: str) -> ErrorType:
    """The type of a task that ran past its time limit: a model's, or decoding's (split, resize)."""
    return ErrorType.MODEL_TIMEOUT if stage in MODEL_STAGES else ErrorType.DECODE_TIMEOUT
