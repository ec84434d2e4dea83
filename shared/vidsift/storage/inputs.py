"""Open an input video URI for a task: a local path, or a loopback URL over ranged reads of a remote one."""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Iterator
from urllib.parse import urlparse

from ..config import Settings
from . import mediaserver
from .base import NotFound, ObjectStat
from .blockcache import BlockCache, CachedSource
from .file import file_url_to_path
from .http import InputRefused, http_download, http_locate, redact
from .ranged import HttpRanges, NoRangeSupport, RangeReader, S3Ranges
from .s3 import S3Storage, s3_client, split_s3_url

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LocalInput:
    """An opened input. ``path`` is what tools open: the local file, or for a remote input a
    loopback URL that reads it in ranged blocks through the worker's bounded cache (``source``)."""

    uri: str  # canonical URI of the input
    path: str
    stat: ObjectStat
    source: CachedSource | None = None

    def open(self) -> BinaryIO:
        """The input's bytes as a seekable binary file (ranged reads for a remote input)."""
        return self.source.open() if self.source is not None else open(self.path, "rb")

    def check(self) -> None:
        """Raise what went wrong while tools read a remote input (a short read is no result)."""
        if self.source is not None:
            self.source.check()

    @property
    def bytes_read(self) -> int:
        """Bytes received from the remote object while this input was open (0 for local files)."""
        return self.source.reader.bytes_read if self.source is not None else 0


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
def open_input(uri: str, settings: Settings, share: float = 1.0) -> Iterator[LocalInput]:
    """Open an input for the length of a task: a local file as it is; s3:// and http(s):// by ranged
    reads (only the bytes tools ask for cross the network); an HTTP server without ``Range`` support
    by one whole download, removed afterwards. ``share``: the part of the source a task of it reads
    (``blockcache.range_share``), which sizes its read blocks."""
    uri = check_allowed(uri, settings)
    scheme = urlparse(uri).scheme
    if scheme == "file":
        path = file_url_to_path(uri)
        if not path.is_file():
            raise NotFound(f"{uri}: no such file")
        st = path.stat()
        yield LocalInput(uri, str(path), ObjectStat(st.st_size, str(st.st_mtime_ns)))
        return
    if scheme == "s3":
        st = stat_input(uri, settings)
        bucket, key = split_s3_url(uri)
        client = s3_client(settings.s3_endpoint_url, settings.s3_region)
        reader: RangeReader = S3Ranges(uri, st, client, bucket, key)
    else:  # redirects are followed once, here; the ranged reads go to the final URL
        final, st, ranged = http_locate(uri, settings.http_timeout_s, settings.http_allow_private)
        reader = HttpRanges(final, st, settings.http_timeout_s, settings.http_allow_private)
        if st.size > settings.http_max_bytes:
            raise InputRefused(f"{redact(uri)}: {st.size} bytes, over the {settings.http_max_bytes}-byte input "
                               "limit (VIDSIFT_HTTP_MAX_BYTES)")
        if not ranged:
            with _downloaded(uri, settings, NoRangeSupport(f"{redact(uri)}: the server ignores Range requests")) as local:
                yield local
            return
    src = CachedSource(reader, block_cache(settings), Path(urlparse(uri).path).name or "input", share)
    try:
        if st.size == 0:
            raise NoRangeSupport(f"{redact(uri)}: no Content-Length")
        src.block(0)  # the header (and a server honouring Range for its first byte only is found out here)
    except NoRangeSupport as exc:
        with _downloaded(uri, settings, exc) as local:
            yield local
        return
    token, url = mediaserver.register(src)
    try:
        yield LocalInput(uri, url, st, src)
    finally:
        mediaserver.unregister(token)
        src.close()


_warned_hosts: set[str] = set()


@contextlib.contextmanager
def _downloaded(uri: str, settings: Settings, why: Exception) -> Iterator[LocalInput]:
    host = urlparse(uri).hostname or ""
    if host not in _warned_hosts:  # once per host and process, not once per clip
        _warned_hosts.add(host)
        log.warning("%s; every task downloads these sources whole", why)
    # Without Range the whole source is the span: it must fit the scratch budget.
    limit, name = min((settings.http_max_bytes, "VIDSIFT_HTTP_MAX_BYTES"),
                      (settings.scratch_max_bytes, "VIDSIFT_SCRATCH_MAX_BYTES (the server ignores Range)"))
    os.makedirs(settings.scratch_dir, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=settings.scratch_dir, prefix="vidsift-src-")
    os.close(fd)
    try:
        http_download(uri, tmp, settings.http_timeout_s, limit, settings.http_allow_private, name)
        yield LocalInput(uri, tmp, ObjectStat(os.path.getsize(tmp), None))
    finally:
        Path(tmp).unlink(missing_ok=True)


_caches: dict[tuple, BlockCache] = {}


def block_cache(settings: Settings) -> BlockCache:
    """The process's block cache (one per scratch directory and budget)."""
    key = (settings.scratch_dir, settings.scratch_max_bytes, settings.read_block_bytes)
    if key not in _caches:
        _caches[key] = BlockCache(os.path.join(settings.scratch_dir, "vidsift-blocks"), settings.scratch_max_bytes,
                                  settings.read_block_bytes)
    return _caches[key]


def fingerprint(src: "LocalInput | str", size: int | None = None) -> str:
    """Content identity of a source: size plus its first and last MiB (cheap, location-independent)."""
    if isinstance(src, str):
        size = os.path.getsize(src) if size is None else size
        fh_ctx = open(src, "rb")
    else:
        size = src.stat.size
        fh_ctx = src.open()
    h = hashlib.sha256(str(size).encode())
    with fh_ctx as fh:
        h.update(fh.read(1 << 20))
        if size > 2 << 20:
            fh.seek(size - (1 << 20))
            h.update(fh.read(1 << 20))
    return h.hexdigest()[:20]
