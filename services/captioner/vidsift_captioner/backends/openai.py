"""``openai`` backend: ``POST {base_url}/chat/completions`` with the prompt and frames as images.

Works with OpenAI (gpt-4o-mini), vLLM serving MiniCPM-V 2.6 or Qwen2-VL, and other OpenAI-compatible
servers. Frames go as base64 ``image_url`` parts: the splitter's stored JPEGs, sent as they are. Clips of one call are sent concurrently, at
most ``concurrency`` requests in flight per process; 429, 5xx and connection errors are retried with
exponential backoff, honouring ``Retry-After``. Token counts are the server's ``usage``.

The API key is read once, from ``api_key_file`` or the ``api_key_env`` variable, and only ever put
in the Authorization header: every error message is scrubbed of it, so it never reaches a log.
"""

from __future__ import annotations

import base64
import email.utils
import logging
import os
import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Sequence


from . import Caption, CaptionBackendError

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://api.openai.com/v1"  # a recipe and worker that name no server: OpenAI's
RETRY_STATUS = {408, 409, 429, 500, 502, 503, 504}
BACKOFF_BASE_S = 1.0
BACKOFF_MAX_S = 60.0  # also caps a server's Retry-After: a worker should not sleep for an hour
# 400s that mean "this content", not "this request": the clip is rejected instead of retried forever.
# Connection failures in a row (across clips) after which the backend stops calling the server.
BREAKER_FAILURES = 5
BREAKER_COOLDOWN_S = 60.0
CONTENT_ERRORS = {"content_policy_violation", "content_filter", "invalid_image", "image_content_policy_violation"}


def read_api_key(params) -> str | None:
    if params.api_key_file:
        return Path(params.api_key_file).read_text().strip() or None
    return os.environ.get(params.api_key_env) or None


def retry_delay(attempt: int, retry_after: str | None) -> float:
    """Seconds to wait before retry ``attempt`` (0-based): the server's Retry-After if it sent one
    (seconds or an HTTP date), else exponential backoff with jitter; capped at BACKOFF_MAX_S."""
    if retry_after:
        try:
            return min(max(float(retry_after), 0.0), BACKOFF_MAX_S)
        except ValueError:
            when = email.utils.parsedate_to_datetime(retry_after) if retry_after.strip() else None
            if when is not None:
                return min(max(when.timestamp() - time.time(), 0.0), BACKOFF_MAX_S)
    return min(BACKOFF_BASE_S * 2 ** attempt * (0.5 + random.random()), BACKOFF_MAX_S)


def request_body(params, jpegs: Sequence[bytes]) -> dict:
    images = [
        {"type": "image_url", "image_url": {
            "url": "data:image/jpeg;base64," + base64.b64encode(jpeg).decode(),
            "detail": params.detail,
        }}
        for jpeg in jpegs
    ]
    return {
        "model": params.model,
        "messages": [{"role": "user", "content": [{"type": "text", "text": params.prompt}, *images]}],
        "max_tokens": params.max_tokens,
        "temperature": params.temperature,
    }


def redact(url: str) -> str:
    """A URL without its user and password (base URLs may carry them; messages never do)."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    return urlunsplit(parts._replace(netloc=host + (f":{parts.port}" if parts.port else "")))


def check_server(params, timeout_s: float = 10.0) -> None:
    """One cheap request (``GET {base_url}/models``): the server answers, takes the key and, when it
    lists its models, serves ``params.model``. Raises CaptionBackendError with what to do."""
    import requests

    base = (params.base_url or DEFAULT_BASE_URL).rstrip("/")
    shown = redact(base)
    try:
        key = read_api_key(params)
    except OSError as exc:
        raise CaptionBackendError(f"cannot read api_key_file {params.api_key_file}: {exc.strerror}") from None
    if not key and base == DEFAULT_BASE_URL:
        raise CaptionBackendError(f"no API key for {shown}: set ${params.api_key_env} (or api_key_file), "
                                  "or point base_url / VIDSIFT_CAPTION_BASE_URL at your own server")
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    try:
        resp = requests.get(base + "/models", headers=headers, timeout=timeout_s)
    except requests.RequestException as exc:
        raise CaptionBackendError(
            f"cannot reach the caption API at {shown} ({type(exc).__name__}); start the server, or set "
            "base_url (--caption-base-url) / VIDSIFT_CAPTION_BASE_URL") from None
    if resp.status_code in (401, 403):
        raise CaptionBackendError(f"{shown} refused the API key (HTTP {resp.status_code}): "
                                  f"set ${params.api_key_env} or api_key_file")
    if resp.status_code != 200:
        return  # answers, but lists no models (not every OpenAI-compatible server has /models)
    try:
        served = [m["id"] for m in resp.json()["data"]]
    except (ValueError, KeyError, TypeError):
        return
    if served and params.model not in served:
        raise CaptionBackendError(f"{shown} does not serve model {params.model!r} (it serves: "
                                  f"{', '.join(served[:10])}); fix the captioner's model")


class CircuitBreaker:
    """Stops calling a server after ``threshold`` connection failures in a row (a server that is
    down would otherwise cost every clip its full retry schedule); after ``cooldown_s`` one call
    may try again. Shared by every caller of one backend in the process."""

    def __init__(self, threshold: int = BREAKER_FAILURES, cooldown_s: float = BREAKER_COOLDOWN_S):
        self.threshold, self.cooldown_s = threshold, cooldown_s
        self._failures = 0
        self._opened_at: float | None = None
        self._lock = threading.Lock()

    def allow(self) -> bool:
        with self._lock:
            if self._opened_at is None:
                return True
            if time.monotonic() - self._opened_at >= self.cooldown_s:
                self._opened_at = time.monotonic()  # half open: this call tries, the others wait again
                return True
            return False

    def failed(self) -> None:
        with self._lock:
            self._failures += 1
            if self._failures >= self.threshold:
                self._opened_at = time.monotonic()

    def succeeded(self) -> None:
        with self._lock:
            self._failures, self._opened_at = 0, None


def parse_response(doc) -> Caption:
    """A chat completion -> Caption; anything else is a CaptionBackendError that says what is missing."""
    try:
        choice = doc["choices"][0]
        message = choice["message"]
        text = message.get("content") or ""
        if not isinstance(text, str):
            raise TypeError("message.content is not a string")
    except (KeyError, IndexError, TypeError, AttributeError) as exc:
        raise CaptionBackendError(
            f"malformed chat completion (expected choices[0].message.content): {exc!r}; got {str(doc)[:300]}"
        ) from None
    usage = doc.get("usage") or {}
    refusal = message.get("refusal") or ("content filter" if choice.get("finish_reason") == "content_filter" else None)
    return Caption(text=text.strip(), prompt_tokens=int(usage.get("prompt_tokens") or 0),
                   completion_tokens=int(usage.get("completion_tokens") or 0), refusal=refusal)


class OpenAIBackend:
    batches = False  # requests go out concurrently instead

    def __init__(self, params):
        self.params = params
        self.url = (params.base_url or DEFAULT_BASE_URL).rstrip("/") + "/chat/completions"
        self._key = read_api_key(params)
        self._slots = threading.BoundedSemaphore(params.concurrency)  # shared by all callers in the process
        self._local = threading.local()
        self.breaker = CircuitBreaker()
        log.info("captioning with %s at %s (key %s)", params.model, self.url,
                 "set" if self._key else f"not set: ${params.api_key_env} is empty")

    def caption(self, clips_frames: Sequence[Sequence[bytes]]) -> list[Caption]:
        if len(clips_frames) <= 1:
            return [self._one(f) for f in clips_frames]
        # More threads than request slots: the next clips' bodies are built while requests are in
        # flight, so a freed slot is refilled at once (the semaphore bounds what reaches the server).
        with ThreadPoolExecutor(min(len(clips_frames), 2 * self.params.concurrency)) as pool:
            return list(pool.map(self._one, clips_frames))

    def _session(self):
        import requests

        if not hasattr(self._local, "session"):  # requests.Session is not shared across threads
            self._local.session = requests.Session()
        return self._local.session

    def _scrub(self, text: str) -> str:
        return text.replace(self._key, "[api key]") if self._key else text

    def _one(self, frames: Sequence[bytes]) -> Caption:
        import requests

        body = request_body(self.params, frames)
        headers = {"Authorization": f"Bearer {self._key}"} if self._key else {}
        for attempt in range(self.params.max_retries + 1):
            last = attempt == self.params.max_retries
            if not self.breaker.allow():
                raise CaptionBackendError(
                    f"POST {redact(self.url)}: not called, {self.breaker.threshold} connection failures in a row "
                    f"(circuit open for {self.breaker.cooldown_s:.0f} s)")
            try:
                with self._slots:
                    resp = self._session().post(self.url, json=body, headers=headers, timeout=self.params.timeout_s)
            except requests.RequestException as exc:
                if isinstance(exc, (requests.ConnectionError, requests.Timeout)):
                    self.breaker.failed()  # the server is not there; other request errors say nothing of it
                error = f"{type(exc).__name__}: {self._scrub(str(exc))}"
                if last:
                    raise CaptionBackendError(f"POST {self.url} failed after {attempt + 1} tries: {error}") from None
                delay = retry_delay(attempt, None)
            else:
                self.breaker.succeeded()
                if resp.status_code == 200:
                    try:
                        doc = resp.json()
                    except ValueError:
                        raise CaptionBackendError(
                            f"POST {self.url}: response is not JSON: {self._scrub(resp.text)[:300]!r}") from None
                    try:
                        return parse_response(doc)
                    except CaptionBackendError as exc:
                        raise CaptionBackendError(self._scrub(str(exc))) from None
                # Scrubbed before truncating: a cut must not leave part of the key behind.
                error = f"HTTP {resp.status_code}: {self._scrub(resp.text)[:300]}"
                if resp.status_code == 400 and (code := _error_code(resp)) in CONTENT_ERRORS:
                    return Caption(text="", prompt_tokens=0, completion_tokens=0, refusal=f"server rejected content ({code})")
                if resp.status_code not in RETRY_STATUS or last:
                    hint = f" (is ${self.params.api_key_env} or api_key_file set?)" if resp.status_code in (401, 403) else ""
                    raise CaptionBackendError(f"POST {self.url} -> {error}{hint}")
                delay = retry_delay(attempt, resp.headers.get("Retry-After"))
            log.warning("POST %s: %s; retry %d/%d in %.1fs", self.url, error, attempt + 1,
                        self.params.max_retries, delay)
            time.sleep(delay)
        raise AssertionError("unreachable")


def _error_code(resp) -> str | None:
    try:
        err = resp.json().get("error") or {}
        return err.get("code") or err.get("type")
    except (ValueError, AttributeError):
        return None


def load(params) -> OpenAIBackend:
    return OpenAIBackend(params)
