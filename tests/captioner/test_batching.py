import threading
import time

import pytest

from vidsift_captioner.batching import Coalescer


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


def test_concurrent_callers_share_batches_and_get_their_own_results():
    sizes = []

    def slow_double(items):
        sizes.append(len(items))
        time.sleep(0.2)  # the model is busy: the other callers queue meanwhile
        return [2 * x for x in items]

    c = Coalescer(slow_double)
    results = _run_concurrently(6, lambda i: c([i, 10 + i]))
    assert results == {i: [2 * i, 20 + 2 * i] for i in range(6)}
    assert c.calls == len(sizes) < 6 and sum(sizes) == 12


def test_a_lone_caller_runs_at_once():
    c = Coalescer(lambda items: [x + 1 for x in items])
    t0 = time.monotonic()
    assert c([1, 2]) == [2, 3] and c([]) == []
    assert time.monotonic() - t0 < 0.05


def test_an_error_reaches_every_caller_of_the_batch():
    def boom(items):
        time.sleep(0.1)
        raise RuntimeError("model failed")

    c = Coalescer(boom)
    results = _run_concurrently(3, lambda i: c([i]))
    assert all(isinstance(r, RuntimeError) for r in results.values())
    with pytest.raises(RuntimeError):
        c([1])
