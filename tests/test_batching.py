"""The one batching primitive (vidsift.batching.Batcher) the scorer and the captioner share."""

import threading
import time

import numpy as np
import pytest

from vidsift.batching import Batcher


def _frames(values):
    return [np.full((2, 2, 3), v, np.uint8) for v in values]


def _mean_score(frames):
    return np.array([float(f.mean()) for f in frames])


def _run_concurrently(n, fn):
    results, barrier = {}, threading.Barrier(n)

    def call(i):
        barrier.wait()
        try:
            results[i] = fn(i)
        except Exception as exc:  # noqa: BLE001 - collected for the assertion
            results[i] = exc

    threads = [threading.Thread(target=call, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    return results


def test_concurrent_callers_share_forwards_and_get_their_own_scores():
    calls = []
    b = Batcher(lambda fs: (calls.append(len(fs)), _mean_score(fs))[1], batch_size=8, max_wait_s=0.5)
    results = _run_concurrently(4, lambda k: b(_frames([10 * k, 10 * k + 1])))
    for k in range(4):
        assert list(results[k]) == [10 * k, 10 * k + 1]
    assert sum(calls) == 8 and len(calls) < 4  # 4 callers, fewer forwards


def test_large_call_is_chunked_to_batch_size():
    calls = []
    b = Batcher(lambda fs: (calls.append(len(fs)), _mean_score(fs))[1], batch_size=3)
    assert list(b(_frames(range(7)))) == list(range(7))
    assert calls == [3, 3, 1] and b.forwards == 3 and b.calls == 1


def test_model_error_reaches_the_caller_and_batcher_recovers():
    def boom(fs):
        raise RuntimeError("CUDA out of memory")

    b = Batcher(boom, batch_size=4)
    with pytest.raises(RuntimeError, match="out of memory"):
        b(_frames([1]))
    b.fn = _mean_score
    assert list(b(_frames([5]))) == [5.0]


def test_a_lone_caller_does_not_wait_when_nobody_else_can_join():
    b = Batcher(_mean_score, batch_size=64, max_wait_s=2.0, expected=lambda: 1)
    t = time.perf_counter()
    assert list(b(_frames([3]))) == [3.0]
    assert time.perf_counter() - t < 0.5


def test_callers_arriving_while_the_model_is_busy_share_the_next_batch():
    sizes = []

    def slow_double(items):
        sizes.append(len(items))
        time.sleep(0.2)  # the model is busy: the other callers queue meanwhile
        return [2 * x for x in items]

    b = Batcher(slow_double)  # no wait, no batch size: what queued while busy goes in one call
    results = _run_concurrently(6, lambda i: b([i, 10 + i]))
    assert results == {i: [2 * i, 20 + 2 * i] for i in range(6)}
    assert b.calls == len(sizes) < 6 and sum(sizes) == 12


def test_a_lone_caller_runs_at_once():
    b = Batcher(lambda items: [x + 1 for x in items])
    t0 = time.monotonic()
    assert b([1, 2]) == [2, 3] and b([]) == []
    assert time.monotonic() - t0 < 0.05


def test_an_error_reaches_every_caller_of_the_batch():
    def boom(items):
        time.sleep(0.1)
        raise RuntimeError("model failed")

    b = Batcher(boom)
    results = _run_concurrently(3, lambda i: b([i]))
    assert all(isinstance(r, RuntimeError) for r in results.values())
    with pytest.raises(RuntimeError):
        b([1])
