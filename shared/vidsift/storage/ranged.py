"""Byte ranges of a remote input, pinned to the size and ETag it had when it was first stat'ed.

One small class per scheme. Every read is a ranged GET (S3 ``Range`` + ``If-Match``; HTTP ``Range``
+ ``If-Match``, with the URI-safety check before every request), so a source that changes while
it is read, or after it was split, is detected instead of mixing two versions' bytes.
"""

from __future__ import annotations

import logging
import threading
from abc import ABC, abstractmethod

from .base import NotFound, ObjectStat, StorageError

log = logging.getLogger(__name__)


class SourceChanged(ValueError):
    """The input's bytes are no longer the ones recorded (size or ETag differ): a rejection, not retried."""


def check_unchanged(uri: str, recorded: ObjectStat, now: ObjectStat, since: str) -> None:
    """Raise ``SourceChanged`` when ``now`` is not the object ``recorded`` (``since``: when it was recorded)."""
    if now.size != recorded.size:
        raise SourceChanged(f"{uri}: source changed since {since}: size {recorded.size} -> {now.size} bytes")
    if recorded.etag and now.etag and now.etag != recorded.etag:
        raise SourceChanged(f"{uri}: source changed since {since}: etag {recorded.etag} -> {now.etag}")


class NoRangeSupport(RuntimeError):
    """The server ignores ``Range``: the caller falls back to one whole download per task."""


class RangeReader(ABC):
    """Reads [start, end) of one remote object; counts every byte it receives."""

    def __init__(self, uri: str, stat: ObjectStat):
        self.uri, self.size, self.etag = uri, stat.size, stat.etag
        self._lock = threading.Lock()
        self.bytes_read = 0
        self.requests = 0

    def read(self, start: int, end: int) -> bytes:
        end = min(end, self.size)
        if start >= end:
            return b""
        data = self._get(start, end)
        if len(data) != end - start:
            raise StorageError(f"{self.uri}: asked for bytes {start}-{end - 1}, got {len(data)} bytes")
        with self._lock:
            self.bytes_read += len(data)
            self.requests += 1
        return data

    @abstractmethod
    def _get(self, start: int, end: int) -> bytes: ...

    def _changed(self, what: str) -> SourceChanged:
        return SourceChanged(f"{self.uri}: source changed since it was read first ({what}; recorded "
                             f"{self.size} bytes, etag {self.etag})")


class S3Ranges(RangeReader):
    def __init__(self, uri: str, stat: ObjectStat, client, bucket: str, key: str):
        super().__init__(uri, stat)
        self.client, self.bucket, self.key = client, bucket, key

    def _get(self, start: int, end: int) -> bytes:
        from botocore.exceptions import ClientError

        extra = {"IfMatch": f'"{self.etag}"'} if self.etag else {}
        try:
            resp = self.client.get_object(Bucket=self.bucket, Key=self.key, Range=f"bytes={start}-{end - 1}", **extra)
            total = resp.get("ContentRange", "").rpartition("/")[2]
            if total.isdigit() and int(total) != self.size:
                raise self._changed(f"now {total} bytes")
            return resp["Body"].read()
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code in ("PreconditionFailed", "412"):
                raise self._changed("ETag no longer matches") from exc
            if code in ("404", "NoSuchKey", "NotFound", "NoSuchBucket"):
                raise NotFound(f"{self.uri}: gone since it was first read") from exc
            raise StorageError(f"S3 ranged GET {self.uri}: {code or type(exc).__name__}") from exc
        except (SourceChanged, NotFound):
            raise
        except Exception as exc:  # botocore/urllib3 transport errors: retried by the task
            raise StorageError(f"S3 ranged GET {self.uri}: {type(exc).__name__}: {exc}") from exc


class HttpRanges(RangeReader):
    def __init__(self, uri: str, stat: ObjectStat, timeout: float, allow_private: bool):
        super().__init__(uri, stat)
        self.timeout, self.allow_private = timeout, allow_private

    def _get(self, start: int, end: int) -> bytes:
        from .http import check_status, redact, request

        headers = {"Range": f"bytes={start}-{end - 1}", "Accept-Encoding": "identity"}
        if self.etag:
            headers["If-Match"] = self.etag
        # Every request resolves, checks and pins the host again: DNS may have changed since the last.
        r = request("GET", self.uri, self.timeout, self.allow_private, headers)
        if r.status == 412:
            raise self._changed("ETag no longer matches")
        check_status(self.uri, r)
        if r.status != 206:
            raise NoRangeSupport(f"{redact(self.uri)}: the server ignores Range requests (HTTP {r.status})")
        total = r.headers.get("Content-Range", "").rpartition("/")[2]
        if total.isdigit() and int(total) != self.size:
            raise self._changed(f"now {total} bytes")
        return r.data
