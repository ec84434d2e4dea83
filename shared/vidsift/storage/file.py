"""Local directory storage (``file://`` URLs and plain paths)."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Iterator
from urllib.parse import unquote, urlparse

from .base import NotFound, ObjectStat, Storage


def process_umask() -> int:
    """This process's umask, read without changing it (os.umask would, for a moment, for every thread)."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except OSError:
        pass
    mask = os.umask(0o022)  # no /proc: set and restore, at import, before any worker thread
    os.umask(mask)
    return mask


UMASK = process_umask()


def file_url_to_path(url: str) -> Path:
    if url.startswith("file://"):
        parsed = urlparse(url)
        return Path(unquote((parsed.netloc or "") + parsed.path)).resolve()
    return Path(url).resolve()


class FileStorage(Storage):
    scheme = "file"

    def __init__(self, url: str):
        self.root = file_url_to_path(url)
        super().__init__(self.root.as_uri())

    def path(self, key: str) -> Path:
        p = (self.root / key).resolve()
        if self.root not in p.parents and p != self.root:
            raise ValueError(f"key {key!r} escapes the storage root")
        return p

    def _atomic_write(self, key: str, write) -> str:
        dest = self.path(key)
        dest.parent.mkdir(parents=True, exist_ok=True)
        # Write to a temp file then rename: a reader never sees half an object.
        fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=".tmp-")
        os.fchmod(fd, 0o666 & ~UMASK)  # mkstemp makes 0600: the dataset is for other users and web servers too
        try:
            with os.fdopen(fd, "wb") as fh:
                write(fh)
            os.replace(tmp, dest)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return self.uri(key)

    def put_bytes(self, key, data, content_type=None):
        return self._atomic_write(key, lambda fh: fh.write(data))

    def put_file(self, key, path, content_type=None):
        def copy(fh):
            with open(path, "rb") as src:
                shutil.copyfileobj(src, fh, 1 << 20)

        return self._atomic_write(key, copy)

    def get_bytes(self, key):
        try:
            return self.path(key).read_bytes()
        except FileNotFoundError as exc:
            raise NotFound(self.uri(key)) from exc

    def stat(self, key):
        try:
            st = self.path(key).stat()
        except FileNotFoundError:
            return None
        return ObjectStat(size=st.st_size, etag=str(st.st_mtime_ns))

    def list(self, prefix: str) -> Iterator[str]:
        base = self.path(prefix) if prefix else self.root
        if not base.exists():
            return
        for dirpath, _dirs, files in os.walk(base):
            for name in files:
                if name.startswith(".tmp-"):
                    continue
                yield str(Path(dirpath, name).relative_to(self.root))

    def delete(self, key):
        self.path(key).unlink(missing_ok=True)
