"""Read-only http(s) inputs, with size and time limits and a refusal of internal addresses."""

from __future__ import annotations

import ipaddress
import socket
import time
from urllib.parse import urlparse, urlunparse

from .base import NotFound, ObjectStat, StorageError


class InputRefused(ValueError):
    """An input URI that vidsift will not fetch (scheme, address or location not allowed)."""


class InputTimeout(StorageError):
    """A third-party host did not answer in time. Not our infrastructure: not retried (see transport)."""


def redact(url: str) -> str:
    """The URL for messages and logs: no user:password, no query (presigned URLs carry signatures)."""
    p = urlparse(url)
    host = p.hostname or ""
    if p.port:
        host = f"{host}:{p.port}"
    return urlunparse((p.scheme, host, p.path, "", "<redacted>" if p.query else "", ""))


def check_public_host(url: str) -> None:
    """Refuse link-local, loopback, private and cloud-metadata addresses (SSRF protection)."""
    host = urlparse(url).hostname
    if not host:
        raise InputRefused(f"{redact(url)!r}: no host")
    try:
        infos = socket.getaddrinfo(host, None)
    except socket.gaierror as exc:
        raise NotFound(f"{redact(url)}: host {host!r} does not resolve ({exc})") from exc
    for info in infos:
        addr = ipaddress.ip_address(info[4][0].split("%", 1)[0])
        mapped = getattr(addr, "ipv4_mapped", None)  # ::ffff:169.254.169.254 is the metadata address too
        if not addr.is_global or addr.is_multicast or (mapped is not None and not mapped.is_global):
            raise InputRefused(
                f"{redact(url)!r} resolves to {addr}, a private/loopback/link-local address; "
                "set VIDSIFT_HTTP_ALLOW_PRIVATE=1 to allow it"
            )


def http_stat(url: str, timeout: float, allow_private: bool = False) -> ObjectStat:
    import requests

    if not allow_private:
        check_public_host(url)
    try:
        r = requests.head(url, timeout=timeout, allow_redirects=False)
    except requests.Timeout as exc:
        raise InputTimeout(f"HEAD {redact(url)}: no answer within {timeout}s (VIDSIFT_HTTP_TIMEOUT_S)") from exc
    except requests.RequestException as exc:
        raise StorageError(f"HEAD {redact(url)} failed: {type(exc).__name__}") from exc
    _check_status(url, r)
    size = int(r.headers.get("Content-Length") or 0)
    return ObjectStat(size=size, etag=r.headers.get("ETag"))


def _check_status(url: str, r) -> None:
    if r.is_redirect:
        # Redirects are not followed blindly: a redirect could point at an internal address.
        raise InputRefused(f"{redact(url)}: redirect to {redact(r.headers.get('Location', ''))!r}; "
                           "submit the final URL instead")
    if r.status_code >= 500 or r.status_code == 429:
        raise StorageError(f"{redact(url)}: HTTP {r.status_code}")
    if r.status_code >= 400:
        raise NotFound(f"{redact(url)}: HTTP {r.status_code}")


def http_download(url: str, dest: str, timeout: float, max_bytes: int, allow_private: bool,
                  limit_setting: str = "VIDSIFT_HTTP_MAX_BYTES") -> None:
    import requests

    if not allow_private:
        check_public_host(url)
    deadline = time.monotonic() + 10 * timeout  # a host dripping bytes must not pin a worker either
    try:
        with requests.get(url, stream=True, timeout=timeout, allow_redirects=False) as r:
            _check_status(url, r)
            declared = int(r.headers.get("Content-Length") or 0)
            if declared > max_bytes:
                raise InputRefused(f"{redact(url)}: {declared} bytes, over the {max_bytes}-byte input limit "
                                   f"({limit_setting})")
            got = 0
            with open(dest, "wb") as fh:
                for chunk in r.iter_content(1 << 20):
                    got += len(chunk)
                    if got > max_bytes:
                        raise InputRefused(f"{redact(url)}: larger than the {max_bytes}-byte input limit "
                                           f"({limit_setting})")
                    if time.monotonic() > deadline:
                        raise InputTimeout(f"{redact(url)}: download took over {10 * timeout:g}s")
                    fh.write(chunk)
    except requests.Timeout as exc:
        raise InputTimeout(f"{redact(url)}: no answer within {timeout}s (VIDSIFT_HTTP_TIMEOUT_S)") from exc
    except requests.RequestException as exc:
        if "timed out" in str(exc):  # a stalled body read arrives as a ConnectionError
            raise InputTimeout(f"{redact(url)}: no answer within {timeout}s (VIDSIFT_HTTP_TIMEOUT_S)") from exc
        raise StorageError(f"{redact(url)}: {type(exc).__name__}") from exc
