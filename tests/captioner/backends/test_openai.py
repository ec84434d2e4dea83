"""The openai backend against a real OpenAI-compatible HTTP server started by the test."""

from __future__ import annotations

import base64
import logging
import time

import numpy as np
import pytest

from vidsift.frames import encode_jpeg
from vidsift_captioner.backends import CaptionBackendError
from vidsift_captioner.backends.openai import OpenAIBackend, parse_response, retry_delay
from vidsift_captioner.ops.captioning import CaptioningParams

from ..openai_server import completion

KEY = "sk-test-9f8e7d6c5b4a-never-logged"


def _params(server, **kw) -> CaptioningParams:
    return CaptioningParams(backend="openai", model="gpt-4o-mini", base_url=server.base_url,
                            api_key_env="VIDSIFT_TEST_CAPTION_KEY", **kw)


def _frames(n=3, h=48, w=64):
    """JPEG bytes, as the splitter stores sample frames (the openai backend sends them as they are)."""
    rng = np.random.default_rng(0)
    return [encode_jpeg(rng.integers(0, 255, (h, w, 3), dtype=np.uint8)) for _ in range(n)]


def test_request_shape_prompt_image_parts_detail_and_max_tokens(openai_server, monkeypatch):
    monkeypatch.setenv("VIDSIFT_TEST_CAPTION_KEY", KEY)
    params = _params(openai_server, frame_num=3, detail="high", max_tokens=77, prompt="Describe it.")
    [cap] = OpenAIBackend(params).caption([_frames(3)])
    [req] = openai_server.requests
    assert req["path"] == "/v1/chat/completions"
    assert req["headers"]["Authorization"] == f"Bearer {KEY}"
    body = req["body"]
    assert body["model"] == "gpt-4o-mini" and body["max_tokens"] == 77
    [msg] = body["messages"]
    text, *images = msg["content"]
    assert text == {"type": "text", "text": "Describe it."}
    assert len(images) == 3
    for part, jpeg in zip(images, _frames(3)):
        assert part["type"] == "image_url" and part["image_url"]["detail"] == "high"
        url = part["image_url"]["url"]
        assert url.startswith("data:image/jpeg;base64,")
        assert base64.b64decode(url.split(",", 1)[1]) == jpeg  # the stored JPEG, not re-encoded
    assert cap.text.startswith("A brown dog") and (cap.prompt_tokens, cap.completion_tokens) == (100, 20)


def test_no_key_sends_no_authorization_header(openai_server, monkeypatch):
    monkeypatch.delenv("VIDSIFT_TEST_CAPTION_KEY", raising=False)
    OpenAIBackend(_params(openai_server)).caption([_frames(1)])
    assert "Authorization" not in openai_server.requests[0]["headers"]


def test_key_from_secret_file_wins(openai_server, monkeypatch, tmp_path):
    monkeypatch.setenv("VIDSIFT_TEST_CAPTION_KEY", "sk-from-env")
    (tmp_path / "key").write_text(KEY + "\n")
    OpenAIBackend(_params(openai_server, api_key_file=str(tmp_path / "key"))).caption([_frames(1)])
    assert openai_server.requests[0]["headers"]["Authorization"] == f"Bearer {KEY}"


def test_429_then_success_honours_retry_after(openai_server):
    openai_server.script = [(429, {"Retry-After": "1"}, {"error": {"message": "rate limited"}})]
    [cap] = OpenAIBackend(_params(openai_server)).caption([_frames(1)])
    first, second = openai_server.requests
    assert second["t"] - first["t"] >= 0.95  # waited as the server asked
    assert cap.text.startswith("A brown dog")


def test_5xx_retried_then_gives_up_with_clear_error(openai_server, monkeypatch):
    monkeypatch.setattr("vidsift_captioner.backends.openai.BACKOFF_BASE_S", 0.01)
    openai_server.script = [(503, {}, "upstream down")] * 3
    with pytest.raises(CaptionBackendError, match=r"HTTP 503"):
        OpenAIBackend(_params(openai_server, max_retries=2)).caption([_frames(1)])
    assert len(openai_server.requests) == 3


def test_malformed_response_is_a_clear_error(openai_server):
    openai_server.script = [(200, {}, {"object": "chat.completion", "choices": []})]
    with pytest.raises(CaptionBackendError, match=r"malformed chat completion.*choices\[0\]\.message\.content"):
        OpenAIBackend(_params(openai_server)).caption([_frames(1)])
    openai_server.script = [(200, {}, "<html>gateway</html>")]
    with pytest.raises(CaptionBackendError, match="not JSON"):
        OpenAIBackend(_params(openai_server)).caption([_frames(1)])


def test_key_never_in_errors_or_logs(openai_server, monkeypatch, caplog):
    """A server that echoes the Authorization header back (as some proxies do) on 429 and 401."""
    monkeypatch.setenv("VIDSIFT_TEST_CAPTION_KEY", KEY)
    monkeypatch.setattr("vidsift_captioner.backends.openai.BACKOFF_BASE_S", 0.01)
    def echo(headers, body):
        return {"error": {"message": f"bad key {headers['Authorization']}"}}
    openai_server.script = [(429, {}, echo), (401, {}, echo)]
    caplog.set_level(logging.DEBUG)
    with pytest.raises(CaptionBackendError) as err:
        OpenAIBackend(_params(openai_server)).caption([_frames(1)])
    assert "HTTP 401" in str(err.value) and "VIDSIFT_TEST_CAPTION_KEY" in str(err.value)
    assert "[api key]" in str(err.value)  # the echo was there, scrubbed
    assert KEY not in str(err.value) and KEY not in repr(err.value)
    assert "429" in caplog.text and KEY not in caplog.text


def test_key_never_leaks_partly_through_truncation(openai_server, monkeypatch):
    """The key straddles the 300-character cut of the error body."""
    monkeypatch.setenv("VIDSIFT_TEST_CAPTION_KEY", KEY)
    openai_server.script = [(401, {}, "x" * 290 + KEY + " was refused")]
    with pytest.raises(CaptionBackendError) as err:
        OpenAIBackend(_params(openai_server)).caption([_frames(1)])
    assert KEY[:8] not in str(err.value)


def test_content_policy_400_is_a_refusal_not_an_error(openai_server):
    openai_server.script = [(400, {}, {"error": {"code": "content_policy_violation", "message": "no"}})]
    [cap] = OpenAIBackend(_params(openai_server)).caption([_frames(1)])
    assert cap.refusal and "content_policy_violation" in cap.refusal and cap.text == ""


def test_concurrency_limit_and_order(openai_server):
    """8 clips, at most 2 requests in flight; answers come back in the clips' order."""
    in_flight, peak = [0], [0]
    import threading

    lock = threading.Lock()

    def slow(headers, body):
        with lock:
            in_flight[0] += 1
            peak[0] = max(peak[0], in_flight[0])
        time.sleep(0.1)
        with lock:
            in_flight[0] -= 1
        return completion(body["messages"][0]["content"][0]["text"] + f" {len(body['messages'][0]['content'])}")

    openai_server.default = (200, {}, slow)
    clips = [_frames(n) for n in range(1, 9)]
    caps = OpenAIBackend(_params(openai_server, concurrency=2, prompt="p")).caption(clips)
    assert [c.text for c in caps] == [f"p {n + 1}" for n in range(1, 9)]
    assert peak[0] == 2


def test_parse_response_refusal_field_and_content_filter():
    assert parse_response(completion("", refusal="I can't help with that.")).refusal == "I can't help with that."
    doc = completion("partial")
    doc["choices"][0]["finish_reason"] = "content_filter"
    assert parse_response(doc).refusal == "content filter"


def test_retry_delay():
    assert retry_delay(0, "3") == 3.0
    assert retry_delay(5, "100000") == 60.0  # capped
    assert 0.5 <= retry_delay(0, None) <= 1.5
    assert 2.0 <= retry_delay(2, None) <= 6.0
    assert 0 <= retry_delay(0, "Wed, 21 Oct 2015 07:28:00 GMT") <= 0.001  # a date in the past: now
