"""Typed input errors: a bad input becomes a rejected row with this type, never a crashed run."""

from __future__ import annotations

from vidsift.outcomes import ErrorType


class InputError(Exception):
    """The input itself is bad (corrupt, no video, unsupported). Not retried."""

    def __init__(self, error_type: str, message: str):
        super().__init__(message)
        self.error_type = ErrorType(error_type)  # one of the known types (a typo fails here, not in a count)
        self.message = message
