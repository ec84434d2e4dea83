import threading

import numpy as np
import pytest

from vidsift_scorer.batching import MicroBatcher


def _frames(values):
    return [np.full((2, 2, 3), v, np.uint8) for v in values]


def _mean_score(frames):
    return np.array([float(f.mean()) for f in frames])


def test_concurrent_callers_share_forwards_and_get_their_own_scores():
    calls = []
    b = MicroBatcher(lambda fs: (calls.append(len(fs)), _mean_score(fs))[1], batch_size=8, max_wait_s=0.5)
    results, barrier = {}, threading.Barrier(4)

    def caller(k):
        barrier.wait()
        results[k] = b(_frames([10 * k, 10 * k + 1]))

    threads = [threading.Thread(target=caller, args=(k,)) for k in range(4)]
    [t.start() for t in threads]
    [t.join(5) for t in threads]
    for k in range(4):
        assert results[k].tolist() == [10 * k, 10 * k + 1]
    assert sum(calls) == 8 and len(calls) < 4  # 4 callers, fewer forwards


def test_large_call_is_chunked_to_batch_size():
    calls = []
    b = MicroBatcher(lambda fs: (calls.append(len(fs)), _mean_score(fs))[1], batch_size=3)
    assert b(_frames(range(7))).tolist() == list(range(7))
    assert calls == [3, 3, 1]


def test_model_error_reaches_the_caller_and_batcher_recovers():
    def boom(fs):
        raise RuntimeError("CUDA out of memory")

    b = MicroBatcher(boom, batch_size=4)
    with pytest.raises(RuntimeError, match="out of memory"):
        b(_frames([1]))
    b.fn = _mean_score
    assert b(_frames([5])).tolist() == [5.0]


def test_a_lone_caller_does_not_wait_when_nobody_else_can_join():
    import time

    b = MicroBatcher(_mean_score, batch_size=64, max_wait_s=2.0, expected=lambda: 1)
    t = time.perf_counter()
    assert b(_frames([3])).tolist() == [3.0]
    assert time.perf_counter() - t < 0.5
