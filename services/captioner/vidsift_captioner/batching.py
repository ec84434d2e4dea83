"""Batching across clips whose captions are asked for concurrently (threads of one worker).

A Celery task carries one clip, so a GPU worker run with ``--pool threads -c N`` has up to N
clips in flight. Each call queues its items; whichever caller holds the run lock takes *everything*
queued and runs it as one batch, so clips that arrive while the model is busy share the next
forward pass. No timer, no background thread (a thread started before a fork would not exist in the
child): a lone caller pays no wait, a busy worker batches by itself.

Generic over items and results; the scorer's ``MicroBatcher`` is the same idea for frame scores.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future
from typing import Callable, Generic, Sequence, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class Coalescer(Generic[T, R]):
    def __init__(self, fn: Callable[[list[T]], list[R]]):
        self.fn = fn
        self._pending: list[tuple[Sequence[T], Future]] = []
        self._pending_lock = threading.Lock()
        self._run_lock = threading.Lock()  # one batch at a time: the rest queue up meanwhile
        self.calls = 0  # batches run (for tests and the benchmark)

    def __call__(self, items: Sequence[T]) -> list[R]:
        fut: Future = Future()
        with self._pending_lock:
            self._pending.append((items, fut))
        with self._run_lock:
            if not fut.done():  # nobody took our items while we waited: lead a batch
                with self._pending_lock:
                    batch, self._pending = self._pending, []
                self._run(batch)
        return fut.result()

    def _run(self, batch: list[tuple[Sequence[T], Future]]) -> None:
        try:
            results = self.fn([item for items, _ in batch for item in items])
            self.calls += 1
        except BaseException as exc:  # every caller of this batch sees the error
            for _, fut in batch:
                fut.set_exception(exc)
            return
        start = 0
        for items, fut in batch:
            fut.set_result(results[start:start + len(items)])
            start += len(items)
