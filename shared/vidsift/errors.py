"""Which ``ErrorType`` a failure is: the one classification of exceptions that escape a stage.

The embedded runner and the Celery task adapter both call ``classify``, so a failure is recorded
under the same type whichever ran it. Input errors a stage handles itself (a corrupt file, a missing
object) never get here: the stage records them as rejections with their own type.
"""

from __future__ import annotations

from .outcomes import ErrorType
from .stages import stage_specs
from .storage import StorageError
from .storage.http import InputTimeout


def _model_stage(stage: str | None) -> bool:
    """A stage whose failures are a model's or an API's (StageSpec.work): an unexpected error there
    is a model_error, a time limit a model_timeout."""
    spec = stage_specs().get(stage) if stage else None
    return spec is not None and spec.work == "model"


def classify(exc: BaseException, stage: str | None = None) -> ErrorType:
    if isinstance(exc, InputTimeout):  # a storage error too, but the host of an input did not answer
        return ErrorType.INPUT_TIMEOUT
    if isinstance(exc, MemoryError):
        return ErrorType.OUT_OF_MEMORY
    if isinstance(exc, StorageError):
        return ErrorType.STORAGE_ERROR
    if isinstance(exc, TimeoutError):
        return ErrorType.DECODE_TIMEOUT
    if _model_stage(stage):
        return ErrorType.MODEL_ERROR
    return ErrorType.INTERNAL_ERROR


def time_limit_type(stage: str) -> ErrorType:
    """The type of a task that ran past its time limit: a model's, or decoding's."""
    return ErrorType.MODEL_TIMEOUT if _model_stage(stage) else ErrorType.DECODE_TIMEOUT
