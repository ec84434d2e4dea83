"""A worker's bounded scratch: fixed-size blocks of remote inputs on local disk, evicted LRU.

Blocks are keyed by the source's identity (URI, size, ETag), so a changed source never reads
another version's blocks. The directory may be shared by every worker process on a node (the
split and resize workers of one pod): a block the splitter fetched is read from disk by the
resizer, and the source's bytes cross the network once. Writes are atomic (temp file + rename);
eviction keeps the directory under ``max_bytes`` whichever process filled it.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import logging
import os
import tempfile
import threading
from pathlib import Path

from .ranged import RangeReader

log = logging.getLogger(__name__)


class ScratchFull(RuntimeError):
    """The scratch budget cannot hold what one task needs at once (raise VIDSIFT_SCRATCH_MAX_BYTES)."""


class BlockCache:
    def __init__(self, root: str, max_bytes: int, block_size: int):
        # block_size: the largest block any source uses (block_size_for)
        if max_bytes < 2 * block_size:
            raise ScratchFull(f"VIDSIFT_SCRATCH_MAX_BYTES={max_bytes} holds fewer than two "
                              f"{block_size}-byte read blocks (VIDSIFT_READ_BLOCK_BYTES); raise it or lower that")
        self.root, self.max_bytes, self.block_size = Path(root), max_bytes, block_size
        self.root.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._used = sum(f.stat().st_size for f in self._files())
        self._fetching: dict[tuple[str, int], threading.Event] = {}

    def _files(self):
        """Every file, blocks being written (``.tmp-``) included: they take disk space too."""
        for d in self.root.iterdir():
            if d.is_dir():
                yield from d.iterdir()

    def block(self, key: str, index: int, fetch) -> bytes:
        path = self.root / key / f"{index:08d}"
        while True:
            try:
                data = path.read_bytes()
                os.utime(path)  # recency for LRU eviction (any process)
                return data
            except FileNotFoundError:
                pass
            # One fetch per block at a time: tools reading the same part of a source together (a range
            # task's demux beside its decode) wait for it instead of fetching the block again.
            with self._lock:
                landing = self._fetching.get((key, index))
                if landing is None:
                    landing = self._fetching[(key, index)] = threading.Event()
                    break
            landing.wait()  # then read it from disk (or fetch it, if that fetch failed)
        try:
            return self._fetch(path, fetch)
        finally:
            with self._lock:
                del self._fetching[(key, index)]
            landing.set()

    def _fetch(self, path: Path, fetch) -> bytes:
        data = fetch()
        # Room is made and the block written under one lock: a rescan in _make_room must see every
        # block this process has counted (a local write of at most a few MiB).
        with self._lock:
            self._make_room(len(data))
            self._used += len(data)
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, path)
        return data

    def _make_room(self, need: int) -> None:
        if self._used + need <= self.max_bytes:
            return
        files = []
        for f in self._files():  # other processes may have added or removed blocks: look again
            try:
                st = f.stat()
            except FileNotFoundError:
                continue
            files.append((st.st_mtime_ns, st.st_size, f))
        self._used = sum(size for _, size, _ in files)
        files.sort()
        target = self.max_bytes - need
        for _, size, f in files:
            if self._used <= target:
                break
            if f.name.startswith(".tmp-"):
                continue  # another thread's or process's block, about to land
            f.unlink(missing_ok=True)
            self._used -= size


MIN_BLOCK = 64 << 10
SHARE_MIN_BLOCK = 1 << 20  # the smallest block a range's share makes (CachedSource)


def block_size_for(size: int, max_block: int) -> int:
    """About 1/256 of the source, a power of two between 64 KiB and ``max_block``: a 3 s span of a
    low-bitrate source is tens of KiB, so fixed MiB blocks would read it many times over, while a
    long 1080p source would take thousands of requests in small blocks."""
    bs = MIN_BLOCK
    while bs * 2 <= max_block and bs * 256 < size:
        bs *= 2
    return bs


def range_share(plan: dict | None) -> float:
    """The part of a source split in ranges one range covers (1 for a source not split in ranges).

    Its tasks size their blocks from that part, not from the whole source: a range task's few blocks of
    rounding (its header block, the block its seek lands in, the one its read-ahead reaches past its
    end) stay small beside its range, also where the whole source's blocks would be 4 MiB. Every task
    of the source (range tasks, resize) uses the same share, so they share one cache entry. Sources
    under 256 MiB (1 MiB blocks) keep their blocks (SHARE_MIN_BLOCK)."""
    if not plan or not plan.get("frames") or not plan.get("ranges"):
        return 1.0
    a, b = plan["ranges"][0]
    return min(1.0, max(b - a, 1) / plan["frames"])


def source_key(uri: str, size: int, etag: str | None, block_size: int) -> str:
    return hashlib.sha256(f"{uri}\n{size}\n{etag}\n{block_size}".encode()).hexdigest()[:24]


class CachedSource:
    """A remote input read through the block cache. Errors met while a tool reads it through the
    media server are kept (``error``) so the task raises them instead of trusting a short read."""

    def __init__(self, reader: RangeReader, cache: BlockCache, name: str, share: float = 1.0):
        self.reader, self.cache, self.name = reader, cache, name
        self.size = reader.size
        whole = block_size_for(reader.size, cache.block_size)
        # A range's share sizes a task's blocks, but never under SHARE_MIN_BLOCK: a source whose blocks
        # are that small already keeps them, and one cache entry with its planner's reads (the header,
        # the fingerprint), so `vidsift run` reads it once.
        part = block_size_for(max(1, round(reader.size * share)), cache.block_size)
        self.block_size = min(whole, max(part, SHARE_MIN_BLOCK))
        self.key = source_key(reader.uri, reader.size, reader.etag, self.block_size)
        self.error: BaseException | None = None
        self.closed = False  # the task is done with it: serve nothing more
        self._busy = 0
        self._idle = threading.Condition()

    @contextlib.contextmanager
    def serving(self):
        """Held while a server thread sends this source, so ``close`` can wait for reads in flight."""
        with self._idle:
            self._busy += 1
        try:
            yield
        finally:
            with self._idle:
                self._busy -= 1
                self._idle.notify_all()

    def close(self, timeout: float = 10.0) -> None:
        """Stop serving and wait for blocks being fetched, so ``reader.bytes_read`` is final."""
        self.closed = True
        with self._idle:
            self._idle.wait_for(lambda: self._busy == 0, timeout)

    def block(self, index: int) -> bytes:
        bs = self.block_size
        try:
            return self.cache.block(self.key, index, lambda: self.reader.read(index * bs, (index + 1) * bs))
        except BaseException as exc:
            self.error = self.error or exc
            raise

    def read(self, start: int, end: int) -> bytes:
        end = min(end, self.size)
        bs = self.block_size
        parts = []
        pos = start
        while pos < end:
            i = pos // bs
            data = self.block(i)
            parts.append(data[pos - i * bs:min(end, (i + 1) * bs) - i * bs])
            pos = (i + 1) * bs
        return b"".join(parts)

    def check(self) -> None:
        """Raise what went wrong while a tool read this source (its result is not to be trusted)."""
        if self.error is not None:
            raise self.error

    def open(self) -> io.BufferedReader:
        return io.BufferedReader(_RemoteFile(self), buffer_size=64 << 10)


class _RemoteFile(io.RawIOBase):
    def __init__(self, src: CachedSource):
        self.src, self.pos = src, 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = 0) -> int:
        self.pos = {0: offset, 1: self.pos + offset, 2: self.src.size + offset}[whence]
        return self.pos

    def tell(self) -> int:
        return self.pos

    def readinto(self, b) -> int:
        data = self.src.read(self.pos, self.pos + len(b))
        b[:len(data)] = data
        self.pos += len(data)
        return len(data)
