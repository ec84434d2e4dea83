"""The openai backend stops calling a server that refuses connections (circuit breaker)."""

from __future__ import annotations

import time

import pytest

from tests.infra import free_port
from vidsift_captioner.backends import CaptionBackendError
from vidsift_captioner.backends.openai import BREAKER_FAILURES, OpenAIBackend
from vidsift_captioner.ops.captioning import CaptioningParams


def test_breaker_opens_after_consecutive_connection_failures_and_a_response_closes_it(openai_server):
    port = free_port()  # nothing listens here
    params = CaptioningParams(backend="openai", model="m", base_url=f"http://127.0.0.1:{port}/v1", max_retries=0)
    backend = OpenAIBackend(params)
    for _ in range(BREAKER_FAILURES):
        with pytest.raises(CaptionBackendError, match="failed after 1 tries"):
            backend.caption([[b"jpeg"]])
    t0 = time.monotonic()
    with pytest.raises(CaptionBackendError, match="not called.*connection failures in a row"):
        backend.caption([[b"jpeg"]])
    assert time.monotonic() - t0 < 0.5

    # A server that answers again, after the cooldown: one call tries, succeeds, and closes the breaker.
    backend.url = openai_server.base_url + "/chat/completions"
    backend.breaker.cooldown_s = 0.0
    assert backend.caption([[b"jpeg"]])[0].text.startswith("A brown dog")
    assert backend.breaker._failures == 0 and backend.breaker.allow()


def test_retries_stop_when_the_breaker_opens_mid_schedule(monkeypatch):
    from vidsift_captioner.backends import openai

    monkeypatch.setattr(openai, "retry_delay", lambda attempt, retry_after: 0.0)
    params = CaptioningParams(backend="openai", model="m", base_url=f"http://127.0.0.1:{free_port()}/v1",
                              max_retries=50)
    backend = OpenAIBackend(params)
    with pytest.raises(CaptionBackendError, match="not called"):
        backend.caption([[b"jpeg"]])
    assert backend.breaker._failures == BREAKER_FAILURES  # 5 tries, not 51
