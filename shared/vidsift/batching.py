"""Batching across concurrent callers: items of several clips share one pass through a model.

A worker has several clips in flight (threads of a Celery worker, the embedded runner's pool); each
call hands in one clip's items (frames to score, frames to caption). The first caller becomes the
*leader*: it waits up to ``max_wait_s`` for other callers' items (or until ``batch_size`` items are
queued, or until every caller ``expected()`` counts has handed its items in), then, once the model is
free, takes *everything* queued and runs it in chunks of ``batch_size``, handing each caller its own
slice of the results. Callers that arrive while the model is busy join the next batch, so a busy
worker batches by itself even with no wait; ``expected`` lets a lone caller (the embedded runner
scores one clip at a time) skip the wait: nobody else could join its batch.

No background thread: a thread started before a fork (Celery prefork) would not exist in the child,
and the leader design needs none. A model error is re-raised in every caller of that batch.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import Future
from typing import Callable, Generic, Optional, Sequence, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class Batcher(Generic[T, R]):
    def __init__(self, fn: Callable[[list[T]], Sequence[R]], batch_size: int | None = None,
                 max_wait_s: float = 0.0, expected: Optional[Callable[[], int]] = None):
        """``fn``: items -> one result per item; ``batch_size``: the most items per ``fn`` call (None:
        all of a batch at once); ``expected``: callers that may join a batch now (None: unknown)."""
        if batch_size is not None and batch_size < 1:
            raise ValueError("batch_size must be >= 1")
        self.fn = fn
        self.batch_size = batch_size
        self.max_wait_s = max_wait_s
        self.expected = expected
        self._cond = threading.Condition()
        self._pending: list[tuple[Sequence[T], Future]] = []
        self._queued = 0
        self._gathering = False  # a leader is gathering or waiting for the model: newcomers join it
        self._run_lock = threading.Lock()  # one batch through the model at a time
        self.calls = 0  # batches run (for tests and the benchmark)
        self.forwards = 0  # fn calls: a batch larger than batch_size is several

    def __call__(self, items: Sequence[T]) -> list[R]:
        if not len(items):
            return []
        fut: Future = Future()
        with self._cond:
            self._pending.append((items, fut))
            self._queued += len(items)
            self._cond.notify_all()
            lead = not self._gathering
            self._gathering = True
        if lead:
            self._lead()
        return fut.result()

    def _full(self) -> bool:
        return ((self.batch_size is not None and self._queued >= self.batch_size)
                or (self.expected is not None and len(self._pending) >= self.expected()))

    def _lead(self) -> None:
        deadline = time.monotonic() + self.max_wait_s
        with self._cond:
            while not self._full() and (left := deadline - time.monotonic()) > 0:
                self._cond.wait(left)
        with self._run_lock:
            with self._cond:
                batch, self._pending, self._queued, self._gathering = self._pending, [], 0, False
            self._run(batch)

    def _run(self, batch: list[tuple[Sequence[T], Future]]) -> None:
        items = [item for its, _ in batch for item in its]
        size = self.batch_size or len(items)
        results: list[R] = []
        try:
            for i in range(0, len(items), size):
                results.extend(self.fn(items[i:i + size]))
                self.forwards += 1
            self.calls += 1
        except BaseException as exc:  # noqa: BLE001 - every caller of this batch sees the model's error, whatever it is
            for _, fut in batch:
                fut.set_exception(exc)
            return
        start = 0
        for its, fut in batch:
            fut.set_result(results[start:start + len(its)])
            start += len(its)
