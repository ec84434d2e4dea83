"""The storage interface: one small class per URI scheme (file.py, s3.py, http.py)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Iterator


class StorageError(RuntimeError):
    """Infrastructure failure talking to storage: raised so the task is retried."""


class NotFound(FileNotFoundError):
    """The object does not exist (an input problem, not an infrastructure failure)."""


@dataclass(frozen=True)
class ObjectStat:
    size: int
    etag: str | None  # S3 ETag, HTTP ETag, or mtime_ns for local files


class Storage(ABC):
    """A rooted key/value store for a job's artifacts. Keys are '/'-separated and made by vidsift."""

    scheme: str = ""
    writable: bool = True

    def __init__(self, url: str):
        self.url = url.rstrip("/")

    def uri(self, key: str) -> str:
        return f"{self.url}/{key}"

    @abstractmethod
    def put_bytes(self, key: str, data: bytes, content_type: str | None = None) -> str: ...

    @abstractmethod
    def put_file(self, key: str, path: str, content_type: str | None = None) -> str: ...

    @abstractmethod
    def get_bytes(self, key: str) -> bytes: ...

    @abstractmethod
    def stat(self, key: str) -> ObjectStat | None:
        """Size and etag of an object, or None when it does not exist."""

    @abstractmethod
    def list(self, prefix: str) -> Iterator[str]:
        """Keys under prefix (relative to this store's root), in no particular order."""

    @abstractmethod
    def delete(self, key: str) -> None: ...

    def exists(self, key: str) -> bool:
        return self.stat(key) is not None

    def put_bytes_once(self, key: str, data: bytes, content_type: str | None = None) -> str:
        """Idempotent write: an existing object of the same size is left alone."""
        st = self.stat(key)
        if st is None or st.size != len(data):
            return self.put_bytes(key, data, content_type)
        return self.uri(key)
