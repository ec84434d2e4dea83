"""The bounded block cache: exact bytes across block edges, LRU eviction under the budget."""

from __future__ import annotations

import os
import time

import pytest

from vidsift.storage.base import ObjectStat
from vidsift.storage.blockcache import MIN_BLOCK, BlockCache, CachedSource, ScratchFull, block_size_for
from vidsift.storage.ranged import RangeReader


class BytesReader(RangeReader):
    """A remote object held in memory: the cache's upstream in unit tests (the real S3 and HTTP
    readers are tested against real servers in test_ranged.py)."""

    def __init__(self, data: bytes):
        super().__init__("s3://b/k.mp4", ObjectStat(len(data), "e1"))
        self.data = data

    def _get(self, start, end):
        return self.data[start:end]


def dir_size(root) -> int:
    return sum(f.stat().st_size for f in root.rglob("*") if f.is_file())


def test_block_size_scales_with_the_source_within_bounds():
    assert block_size_for(1000, 4 << 20) == MIN_BLOCK
    assert block_size_for(64 << 20, 4 << 20) == 256 << 10  # about 1/256 of the source
    assert block_size_for(10 << 30, 4 << 20) == 4 << 20  # never above the setting


def test_reads_across_blocks_equal_the_object(tmp_path):
    data = os.urandom(5 * MIN_BLOCK + 123)
    src = CachedSource(BytesReader(data), BlockCache(str(tmp_path), 64 * MIN_BLOCK, MIN_BLOCK), "k.mp4")
    for start, end in [(0, 10), (MIN_BLOCK - 5, MIN_BLOCK + 5), (3, len(data)), (len(data) - 7, len(data) + 50)]:
        assert src.read(start, end) == data[start:end]
    with src.open() as fh:
        fh.seek(2 * MIN_BLOCK + 1)
        assert fh.read(MIN_BLOCK) == data[2 * MIN_BLOCK + 1:3 * MIN_BLOCK + 1]
        fh.seek(-4, 2)
        assert fh.read() == data[-4:]


def test_each_block_is_fetched_once_while_it_fits(tmp_path):
    reader = BytesReader(os.urandom(4 * MIN_BLOCK))
    src = CachedSource(reader, BlockCache(str(tmp_path), 64 * MIN_BLOCK, MIN_BLOCK), "k.mp4")
    for _ in range(3):
        src.read(0, 4 * MIN_BLOCK)
    assert reader.bytes_read == 4 * MIN_BLOCK and reader.requests == 4


def test_the_budget_bounds_the_disk_and_evicts_least_recently_used(tmp_path):
    budget = 3 * MIN_BLOCK
    cache = BlockCache(str(tmp_path), budget, MIN_BLOCK)
    data = os.urandom(10 * MIN_BLOCK)
    reader = BytesReader(data)
    src = CachedSource(reader, cache, "k.mp4")
    src.block(0)
    time.sleep(0.01)
    src.block(1)
    time.sleep(0.01)
    src.block(0)  # touched: block 1 is now the least recently used
    time.sleep(0.01)
    src.block(2)
    src.block(3)
    assert dir_size(tmp_path) <= budget
    fetched = reader.requests
    src.block(0)
    assert reader.requests == fetched  # still cached
    src.block(1)
    assert reader.requests == fetched + 1  # evicted, fetched again
    # A whole pass over a source larger than the budget streams and never holds more than it.
    assert src.read(0, len(data)) == data
    assert dir_size(tmp_path) <= budget


def test_a_changed_source_never_reads_the_old_versions_blocks(tmp_path):
    cache = BlockCache(str(tmp_path), 64 * MIN_BLOCK, MIN_BLOCK)
    old = CachedSource(BytesReader(b"a" * 1000), cache, "k.mp4")
    new_reader = BytesReader(b"b" * 1000)
    new_reader.etag = "e2"
    new = CachedSource(new_reader, cache, "k.mp4")
    assert old.read(0, 10) == b"a" * 10
    assert new.read(0, 10) == b"b" * 10


def test_a_budget_smaller_than_two_blocks_is_a_clear_error(tmp_path):
    with pytest.raises(ScratchFull, match="VIDSIFT_SCRATCH_MAX_BYTES"):
        BlockCache(str(tmp_path), MIN_BLOCK, MIN_BLOCK)


def test_a_scratch_budget_below_two_blocks_is_refused_when_settings_load(monkeypatch):
    from vidsift.config import SettingsError, load_settings

    monkeypatch.setenv("VIDSIFT_SCRATCH_MAX_BYTES", str(1 << 20))
    with pytest.raises(SettingsError, match="VIDSIFT_SCRATCH_MAX_BYTES=1048576 .*VIDSIFT_READ_BLOCK_BYTES"):
        load_settings()
    monkeypatch.setenv("VIDSIFT_READ_BLOCK_BYTES", str(256 << 10))
    assert load_settings().scratch_max_bytes == 1 << 20


def test_readers_missing_the_same_block_together_fetch_it_once(tmp_path):
    """A range task's demux and decode read the same part of a source at once: one fetch per block."""
    import threading

    cache = BlockCache(str(tmp_path), 64 * MIN_BLOCK, MIN_BLOCK)
    fetches, started, release = [], threading.Event(), threading.Event()

    def fetch():
        fetches.append(1)
        started.set()
        release.wait(5)
        return b"x" * MIN_BLOCK

    got = []
    readers = [threading.Thread(target=lambda: got.append(cache.block("k", 3, fetch))) for _ in range(3)]
    readers[0].start()
    started.wait(5)
    for t in readers[1:]:
        t.start()
    time.sleep(0.1)  # the others are waiting for the block in flight
    release.set()
    for t in readers:
        t.join(5)
    assert len(fetches) == 1 and got == [b"x" * MIN_BLOCK] * 3

    def failing():
        raise OSError("upstream")

    with pytest.raises(OSError):
        cache.block("k", 4, failing)
    assert cache.block("k", 4, lambda: b"y") == b"y"  # a failed fetch leaves nothing in flight


def test_tasks_of_a_source_in_ranges_size_blocks_from_a_range(tmp_path):
    from vidsift.storage.blockcache import range_share

    plan = {"frames": 90000, "ranges": [[0, 7500], [7500, 15000]]}  # an hour at 25 fps in 300 s ranges
    assert range_share(plan) == pytest.approx(1 / 12) and range_share(None) == 1.0
    assert block_size_for(2 << 30, 4 << 20) == 4 << 20  # a 2 GiB source, whole: 4 MiB blocks
    assert block_size_for(round((2 << 30) * range_share(plan)), 4 << 20) == 1 << 20  # a range's tasks: 1 MiB
    data = os.urandom(1 << 20)  # one 1 MiB block
    cache = BlockCache(str(tmp_path), 256 * MIN_BLOCK, 4 << 20)

    def opened(size, share=1.0):
        reader = BytesReader(data)
        reader.size = size  # a large object's blocks, read only within ``data``
        return CachedSource(reader, cache, "k.mp4", share)

    whole, part = opened(2 << 30), opened(2 << 30, range_share(plan))
    assert (whole.block_size, part.block_size) == (4 << 20, 1 << 20) and whole.key != part.key
    assert part.read(100, 5000) == data[100:5000]
    # Under 256 MiB, blocks are 1 MiB or less already: the range tasks use the planner's (one cache entry).
    assert opened(200 << 20, 0.1).key == opened(200 << 20).key
