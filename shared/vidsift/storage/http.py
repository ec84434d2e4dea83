"""Read-only http(s) inputs, with size and time limits and a refusal of internal addresses."""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlparse

from .base import NotFound, ObjectStat, StorageError


class InputRefused(ValueError):
    """An input URI that vidsift will not fetch (scheme, address or location not allowed)."""


def check_public_host(url: str) -> None:
    """Refuse link-local, loopback, private and cloud-metadata addresses (SSRF protection)."""
    host = urlparse(url).hostname
    if not host:
        raise InputRefused(f"{url!r}: no host")
    try:
        infos = socket.getaddrinfo(host, None)
    except socket.gaierror as exc:
        raise NotFound(f"{url}: host {host!r} does not resolve ({exc})") from exc
    for info in infos:
        addr = ipaddress.ip_address(info[4][0])
        if not addr.is_global or addr.is_multicast:
            raise InputRefused(
                f"{url!r} resolves to {addr}, a private/loopback/link-local address; "
                "set VIDSIFT_HTTP_ALLOW_PRIVATE=1 to allow it"
            )


def http_stat(url: str, timeout: float) -> ObjectStat:
    import requests

    try:
        r = requests.head(url, timeout=timeout, allow_redirects=True)
    except requests.RequestException as exc:
        raise StorageError(f"HEAD {url} failed: {type(exc).__name__}") from exc
    if r.status_code == 404:
        raise NotFound(f"{url}: HTTP 404")
    size = int(r.headers.get("Content-Length") or 0)
    return ObjectStat(size=size, etag=r.headers.get("ETag"))


def http_download(url: str, dest: str, timeout: float, max_bytes: int, allow_private: bool) -> None:
    import requests

    if not allow_private:
        check_public_host(url)
    try:
        # Redirects are not followed blindly: a redirect could point at an internal address.
        with requests.get(url, stream=True, timeout=timeout, allow_redirects=False) as r:
            if r.is_redirect:
                target = r.headers.get("Location", "")
                raise InputRefused(f"{url}: redirect to {target!r}; submit the final URL instead")
            if r.status_code == 404:
                raise NotFound(f"{url}: HTTP 404")
            if r.status_code >= 500 or r.status_code == 429:
                raise StorageError(f"{url}: HTTP {r.status_code}")
            if r.status_code >= 400:
                raise NotFound(f"{url}: HTTP {r.status_code}")
            got = 0
            with open(dest, "wb") as fh:
                for chunk in r.iter_content(1 << 20):
                    got += len(chunk)
                    if got > max_bytes:
                        raise InputRefused(f"{url}: larger than the {max_bytes}-byte input limit")
                    fh.write(chunk)
    except requests.Timeout as exc:
        raise StorageError(f"{url}: timed out after {timeout}s") from exc
    except requests.RequestException as exc:
        raise StorageError(f"{url}: {type(exc).__name__}") from exc
