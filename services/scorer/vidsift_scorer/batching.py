"""Micro-batching: frames from concurrent clips share one forward pass.

A worker scores several clips at once (threads of a Celery worker, or the embedded runner's pool).
Each call hands its frames to the batcher; the first caller becomes the *leader*, waits up to
``max_wait_s`` for other callers' frames (or until ``batch_size`` frames are queued, or until every
caller ``expected()`` counts has handed its frames in), then runs the model on all of them in chunks
of ``batch_size`` and hands every caller its own slice back. ``expected`` lets a lone caller (the
embedded runner scores one clip at a time) skip the wait: nobody else could join its batch.

No background thread: a thread started before a fork (Celery prefork) would not exist in the child,
and the leader design needs none. A model error is re-raised in every caller of that batch.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import Future
from typing import Callable, Optional, Sequence

import numpy as np

ScoreFn = Callable[[Sequence[np.ndarray]], np.ndarray]


class MicroBatcher:
    def __init__(self, fn: ScoreFn, batch_size: int, max_wait_s: float = 0.0,
                 expected: Optional[Callable[[], int]] = None):
        if batch_size < 1:
            raise ValueError("batch_size must be >= 1")
        self.fn = fn
        self.batch_size = batch_size
        self.max_wait_s = max_wait_s
        self.expected = expected  # callers that may join a batch now (None: unknown, wait max_wait_s)
        self._cond = threading.Condition()
        self._pending: list[tuple[Sequence[np.ndarray], Future]] = []
        self._queued = 0
        self._leader = False
        self.forwards = 0  # forward passes run (for tests and the benchmark)

    def __call__(self, frames: Sequence[np.ndarray]) -> np.ndarray:
        if not frames:
            return np.zeros(0, dtype=np.float64)
        fut: Future = Future()
        with self._cond:
            self._pending.append((frames, fut))
            self._queued += len(frames)
            self._cond.notify_all()
            lead = not self._leader
            if lead:
                self._leader = True
        if lead:
            self._lead()
        return fut.result()

    def _all_in(self) -> bool:
        return self.expected is not None and len(self._pending) >= self.expected()

    def _lead(self) -> None:
        deadline = time.monotonic() + self.max_wait_s
        with self._cond:
            while (self._queued < self.batch_size and not self._all_in()
                   and (left := deadline - time.monotonic()) > 0):
                self._cond.wait(left)
            batch, self._pending, self._queued, self._leader = self._pending, [], 0, False
        frames = [f for fs, _ in batch for f in fs]
        try:
            scores = np.concatenate([
                np.asarray(self.fn(frames[i:i + self.batch_size]), dtype=np.float64)
                for i in range(0, len(frames), self.batch_size)
            ])
            with self._cond:  # two leaders can run at once (one forwards while the next gathers)
                self.forwards += -(-len(frames) // self.batch_size)
        except BaseException as exc:  # every waiting caller sees the model's error
            for _, fut in batch:
                fut.set_exception(exc)
            return
        start = 0
        for fs, fut in batch:
            fut.set_result(scores[start:start + len(fs)])
            start += len(fs)
