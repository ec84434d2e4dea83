"""S3 / MinIO / SeaweedFS storage through boto3 (path-style addressing, configurable endpoint)."""

from __future__ import annotations

import threading
from typing import Iterator
from urllib.parse import urlparse

from .base import NotFound, ObjectStat, Storage, StorageError

_clients: dict[tuple, object] = {}
_lock = threading.Lock()


def s3_client(endpoint_url: str | None = None, region: str | None = None):
    """One boto3 client per endpoint per process (clients are thread-safe; creating them is slow)."""
    import boto3
    from botocore.config import Config

    key = (endpoint_url, region)
    with _lock:
        if key not in _clients:
            _clients[key] = boto3.client(
                "s3",
                endpoint_url=endpoint_url,
                region_name=region or "us-east-1",
                config=Config(
                    s3={"addressing_style": "path"},
                    retries={"max_attempts": 5, "mode": "standard"},
                    connect_timeout=10,
                    read_timeout=60,
                ),
            )
        return _clients[key]


def split_s3_url(url: str) -> tuple[str, str]:
    p = urlparse(url)
    if p.scheme != "s3" or not p.netloc:
        raise ValueError(f"not an s3:// URL: {url!r}")
    return p.netloc, p.path.lstrip("/")


def _wrap(exc: Exception, what: str) -> Exception:
    from botocore.exceptions import ClientError

    if isinstance(exc, ClientError):
        code = exc.response.get("Error", {}).get("Code", "")
        if code in ("404", "NoSuchKey", "NotFound", "NoSuchBucket"):
            return NotFound(what)
    # Never include credentials: boto3 errors carry only endpoint, bucket and key.
    return StorageError(f"S3 request failed for {what}: {type(exc).__name__}: {exc}")


class S3Storage(Storage):
    scheme = "s3"

    def __init__(self, url: str, endpoint_url: str | None = None, region: str | None = None):
        super().__init__(url)
        self.bucket, prefix = split_s3_url(self.url)
        self.prefix = prefix.strip("/")
        self.client = s3_client(endpoint_url, region)

    def _key(self, key: str) -> str:
        return f"{self.prefix}/{key}" if self.prefix else key

    def put_bytes(self, key, data, content_type=None):
        extra = {"ContentType": content_type} if content_type else {}
        try:
            self.client.put_object(Bucket=self.bucket, Key=self._key(key), Body=data, **extra)
        except Exception as exc:  # translated into a typed error
            raise _wrap(exc, self.uri(key)) from exc
        return self.uri(key)

    def put_file(self, key, path, content_type=None):
        extra = {"ExtraArgs": {"ContentType": content_type}} if content_type else {}
        try:
            self.client.upload_file(path, self.bucket, self._key(key), **extra)
        except Exception as exc:
            raise _wrap(exc, self.uri(key)) from exc
        return self.uri(key)

    def get_bytes(self, key):
        try:
            return self.client.get_object(Bucket=self.bucket, Key=self._key(key))["Body"].read()
        except Exception as exc:
            raise _wrap(exc, self.uri(key)) from exc

    def stat(self, key):
        try:
            head = self.client.head_object(Bucket=self.bucket, Key=self._key(key))
        except Exception as exc:
            err = _wrap(exc, self.uri(key))
            if isinstance(err, NotFound):
                return None
            raise err from exc
        return ObjectStat(size=int(head["ContentLength"]), etag=head.get("ETag", "").strip('"'))

    def list(self, prefix: str) -> Iterator[str]:
        full = self._key(prefix)
        strip = len(self.prefix) + 1 if self.prefix else 0
        try:
            pages = self.client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=full
            )
            for page in pages:
                for obj in page.get("Contents", []):
                    yield obj["Key"][strip:]
        except Exception as exc:
            err = _wrap(exc, self.uri(prefix))
            if isinstance(err, NotFound):
                return
            raise err from exc

    def delete(self, key):
        try:
            self.client.delete_object(Bucket=self.bucket, Key=self._key(key))
        except Exception as exc:
            raise _wrap(exc, self.uri(key)) from exc

    def download(self, key: str, dest: str) -> None:
        try:
            self.client.download_file(self.bucket, self._key(key), dest)
        except Exception as exc:
            raise _wrap(exc, self.uri(key)) from exc
