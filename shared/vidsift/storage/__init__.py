"""Storage: job artifacts (file:// or s3://) and input videos (file://, s3://, http(s)://)."""

from __future__ import annotations

from urllib.parse import urlparse

from ..config import Settings
from ..outcomes import ErrorType
from .base import NotFound, ObjectStat, Storage, StorageError
from .blockcache import ScratchFull
from .file import FileStorage
from .http import InputRefused
from .ranged import SourceChanged, check_unchanged
from .inputs import LocalInput, canonical_uri, check_allowed, fingerprint, open_input, stat_input

# The input itself cannot be used: the stage records a rejection with this error type (never retried).
UNUSABLE_INPUT = {NotFound: ErrorType.NOT_FOUND, InputRefused: ErrorType.INPUT_REFUSED,
                  SourceChanged: ErrorType.SOURCE_CHANGED}


def unusable_input_type(exc: BaseException) -> ErrorType:
    return next(t for cls, t in UNUSABLE_INPUT.items() if isinstance(exc, cls))


def open_storage(url: str, settings: Settings | None = None) -> Storage:
    scheme = urlparse(url).scheme
    if scheme in ("", "file"):
        return FileStorage(url)
    if scheme == "s3":
        from .s3 import S3Storage

        s = settings or Settings()
        return S3Storage(url, s.s3_endpoint_url, s.s3_region)
    raise ValueError(f"storage URL {url!r}: use file:// (or a path) or s3://bucket/prefix")


__all__ = [
    "FileStorage", "InputRefused", "LocalInput", "NotFound", "ObjectStat", "Storage",
    "ScratchFull", "SourceChanged", "StorageError", "UNUSABLE_INPUT", "canonical_uri", "check_allowed",
    "check_unchanged", "fingerprint", "open_input", "open_storage", "stat_input", "unusable_input_type",
]
