"""Open an input video URI as a local file (downloading s3:// and http(s):// to scratch)."""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator
from urllib.parse import urlparse

from ..config import Settings
from .base import NotFound, ObjectStat
from .file import file_url_to_path
from .http import InputRefused, http_download
from .s3 import S3Storage, split_s3_url


@dataclass(frozen=True)
class LocalInput:
    uri: str  # canonical URI of the input
    path: str  # a local file holding its bytes
    stat: ObjectStat


def canonical_uri(uri: str) -> str:
    """Plain paths become file:// URIs; other schemes are kept as given."""
    scheme = urlparse(uri).scheme
    if scheme in ("", "file") or (len(scheme) == 1 and os.name == "nt"):
        return file_url_to_path(uri).as_uri()
    return uri


def check_allowed(uri: str, settings: Settings) -> str:
    uri = canonical_uri(uri)
    scheme = urlparse(uri).scheme
    if scheme not in settings.allowed_schemes:
        raise InputRefused(
            f"{uri!r}: scheme {scheme!r} is not allowed (VIDSIFT_ALLOWED_SCHEMES="
            f"{','.join(settings.allowed_schemes)})"
        )
    if scheme == "file" and settings.file_roots:
        path = file_url_to_path(uri)
        roots = [Path(r).resolve() for r in settings.file_roots]
        if not any(path == r or r in path.parents for r in roots):
            raise InputRefused(f"{uri!r} is outside the allowed file roots (VIDSIFT_FILE_ROOTS)")
    return uri


def stat_input(uri: str, settings: Settings) -> ObjectStat:
    uri = check_allowed(uri, settings)
    scheme = urlparse(uri).scheme
    if scheme == "file":
        try:
            st = file_url_to_path(uri).stat()
        except FileNotFoundError as exc:
            raise NotFound(f"{uri}: no such file") from exc
        return ObjectStat(size=st.st_size, etag=str(st.st_mtime_ns))
    if scheme == "s3":
        bucket, key = split_s3_url(uri)
        st = S3Storage(f"s3://{bucket}", settings.s3_endpoint_url, settings.s3_region).stat(key)
        if st is None:
            raise NotFound(f"{uri}: no such object")
        return st
    from .http import http_stat

    return http_stat(uri, settings.http_timeout_s, settings.http_allow_private)


@contextlib.contextmanager
def open_input(uri: str, settings: Settings) -> Iterator[LocalInput]:
    """Yield a local file for the input; downloads are removed afterwards."""
    uri = check_allowed(uri, settings)
    scheme = urlparse(uri).scheme
    if scheme == "file":
        path = file_url_to_path(uri)
        if not path.is_file():
            raise NotFound(f"{uri}: no such file")
        st = path.stat()
        yield LocalInput(uri, str(path), ObjectStat(st.st_size, str(st.st_mtime_ns)))
        return
    os.makedirs(settings.scratch_dir, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=settings.scratch_dir, prefix="vidsift-src-")
    os.close(fd)
    try:
        if scheme == "s3":
            bucket, key = split_s3_url(uri)
            store = S3Storage(f"s3://{bucket}", settings.s3_endpoint_url, settings.s3_region)
            st = store.stat(key)
            if st is None:
                raise NotFound(f"{uri}: no such object")
            store.download(key, tmp)
        else:
            http_download(
                uri, tmp, settings.http_timeout_s, settings.http_max_bytes, settings.http_allow_private
            )
            st = ObjectStat(os.path.getsize(tmp), None)
        yield LocalInput(uri, tmp, st)
    finally:
        Path(tmp).unlink(missing_ok=True)


def fingerprint(path: str, size: int) -> str:
    """Content identity of a source: size plus its first and last MiB (cheap, location-independent)."""
    h = hashlib.sha256(str(size).encode())
    with open(path, "rb") as fh:
        h.update(fh.read(1 << 20))
        if size > 2 << 20:
            fh.seek(size - (1 << 20))
            h.update(fh.read(1 << 20))
    return h.hexdigest()[:20]
