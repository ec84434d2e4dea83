"""The resizer's infrastructure failure: raised, so the transport retries and then dead-letters it."""

from __future__ import annotations

STDERR_TAIL = 2000  # characters of ffmpeg's stderr kept in the error (the cause is at the end)


class ResizeError(RuntimeError):
    """ffmpeg or ffprobe failed, or an output is not what was asked for."""


def stderr_tail(text: str | bytes, limit: int = STDERR_TAIL) -> str:
    if isinstance(text, bytes):
        text = text.decode(errors="replace")
    text = text.strip()
    return text if len(text) <= limit else "..." + text[-limit:]
