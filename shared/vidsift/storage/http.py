"""Read-only http(s) inputs, with size and time limits and a refusal of internal addresses.

Every request resolves its host once, checks every address (no private, loopback, link-local or
metadata address unless VIDSIFT_HTTP_ALLOW_PRIVATE), and connects to the address it checked (the TLS
name is still the host's), so DNS cannot answer differently between the check and the connect.
Redirects are followed up to ``MAX_REDIRECTS`` hops, each hop checked the same way.
"""

from __future__ import annotations

import base64
import ipaddress
import os
import socket
import threading
import time
from urllib.parse import unquote, urljoin, urlparse, urlunparse

from .base import NotFound, ObjectStat, StorageError

MAX_REDIRECTS = 5
REDIRECTS = (301, 302, 303, 307, 308)


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


def _public(addr: ipaddress._BaseAddress) -> bool:
    mapped = getattr(addr, "ipv4_mapped", None)  # ::ffff:169.254.169.254 is the metadata address too
    return addr.is_global and not addr.is_multicast and (mapped is None or mapped.is_global)


def resolve(url: str, allow_private: bool = False) -> str:
    """The address to connect to for ``url``'s host, after checking every address it resolves to."""
    p = urlparse(url)
    host = p.hostname
    if not host:
        raise InputRefused(f"{redact(url)!r}: no host")
    try:
        infos = socket.getaddrinfo(host, p.port or (443 if p.scheme == "https" else 80), type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise NotFound(f"{redact(url)}: host {host!r} does not resolve ({exc})") from exc
    addrs = [ipaddress.ip_address(info[4][0].split("%", 1)[0]) for info in infos]
    if not allow_private:
        for addr in addrs:
            if not _public(addr):
                raise InputRefused(
                    f"{redact(url)!r} resolves to {addr}, a private/loopback/link-local address; "
                    "set VIDSIFT_HTTP_ALLOW_PRIVATE=1 to allow it"
                )
    return str(addrs[0])


def check_public_host(url: str) -> None:
    """Refuse link-local, loopback, private and cloud-metadata addresses (SSRF protection)."""
    resolve(url, allow_private=False)


def request(method: str, url: str, timeout: float, allow_private: bool, headers: dict | None = None,
            stream: bool = False):
    """One request (no redirect followed) to the checked address of ``url``'s host: a urllib3 response."""
    import urllib3

    p = urlparse(url)
    if p.scheme not in ("http", "https"):
        raise InputRefused(f"{redact(url)!r}: only http and https are fetched")
    ip = resolve(url, allow_private)
    port = p.port or (443 if p.scheme == "https" else 80)
    pool = _pool(p.scheme, ip, port, p.hostname)
    hdrs = {"Host": p.hostname if not p.port else f"{p.hostname}:{p.port}", **(headers or {})}
    if p.username:
        token = f"{unquote(p.username)}:{unquote(p.password or '')}".encode()
        hdrs["Authorization"] = "Basic " + base64.b64encode(token).decode()
    path = (p.path or "/") + (f"?{p.query}" if p.query else "")
    try:
        return pool.urlopen(method, path, headers=hdrs, redirect=False, retries=False, preload_content=not stream,
                            decode_content=False, timeout=urllib3.Timeout(connect=timeout, read=timeout))
    except urllib3.exceptions.TimeoutError as exc:
        raise InputTimeout(f"{method} {redact(url)}: no answer within {timeout}s (VIDSIFT_HTTP_TIMEOUT_S)") from exc
    except urllib3.exceptions.HTTPError as exc:
        if "timed out" in str(exc):
            raise InputTimeout(f"{method} {redact(url)}: no answer within {timeout}s (VIDSIFT_HTTP_TIMEOUT_S)") from exc
        raise StorageError(f"{method} {redact(url)} failed: {type(exc).__name__}") from exc


_pools: dict[tuple, object] = {}
_pools_lock = threading.Lock()


def _pool(scheme: str, ip: str, port: int, host: str):
    """A connection pool to one checked address (TLS verified for ``host``), kept for the process: a
    source's ranged reads reuse its connections instead of a TCP and TLS handshake per block."""
    import urllib3

    key = (scheme, ip, port, host, os.getpid())  # a forked worker child opens its own connections
    with _pools_lock:
        if key not in _pools:
            if scheme == "https":
                import certifi

                _pools[key] = urllib3.HTTPSConnectionPool(ip, port, retries=False, maxsize=4, server_hostname=host,
                                                          assert_hostname=host, cert_reqs="CERT_REQUIRED",
                                                          ca_certs=certifi.where())
            else:
                _pools[key] = urllib3.HTTPConnectionPool(ip, port, retries=False, maxsize=4)
            while len(_pools) > 64:  # a crawl touches many hosts: drop the oldest
                _pools.pop(next(iter(_pools))).close()
        return _pools[key]


def follow(method: str, url: str, timeout: float, allow_private: bool, headers: dict | None = None,
           stream: bool = False):
    """``request``, following redirects (each hop checked and pinned): (final URL, response)."""
    for _ in range(MAX_REDIRECTS + 1):
        r = request(method, url, timeout, allow_private, headers, stream)
        if r.status not in REDIRECTS:
            return url, r
        location = r.headers.get("Location", "")
        r.close()  # never hand back a connection with an unread body
        if not location:
            raise InputRefused(f"{redact(url)}: HTTP {r.status} without a Location")
        url = urljoin(url, location)
    raise InputRefused(f"{redact(url)}: more than {MAX_REDIRECTS} redirects")


def http_locate(url: str, timeout: float, allow_private: bool = False) -> tuple[str, ObjectStat, bool]:
    """(final URL after redirects, its size and ETag, whether it serves ``Range``), from a GET of its
    first byte: servers that refuse HEAD (405, 501) are common, and the answer tells about ranges."""
    final, r = follow("GET", url, timeout, allow_private, {"Range": "bytes=0-0", "Accept-Encoding": "identity"},
                      stream=True)
    try:
        check_status(final, r)
        total = r.headers.get("Content-Range", "").rpartition("/")[2]
        ranged = r.status == 206 and total.isdigit()
        size = int(total) if ranged else int(r.headers.get("Content-Length") or 0)
        return final, ObjectStat(size=size, etag=r.headers.get("ETag")), ranged
    finally:
        r.close()  # a server that ignored Range is sending the whole body: do not read it


def http_stat(url: str, timeout: float, allow_private: bool = False) -> ObjectStat:
    return http_locate(url, timeout, allow_private)[1]


def check_status(url: str, r) -> None:
    if r.status in REDIRECTS:  # a redirect where none is followed (a ranged read of the final URL)
        raise InputRefused(f"{redact(url)}: redirect to {redact(r.headers.get('Location', ''))!r} while reading")
    if r.status >= 500 or r.status == 429:
        raise StorageError(f"{redact(url)}: HTTP {r.status}")
    if r.status >= 400:
        raise NotFound(f"{redact(url)}: HTTP {r.status}")


def http_download(url: str, dest: str, timeout: float, max_bytes: int, allow_private: bool,
                  limit_setting: str = "VIDSIFT_HTTP_MAX_BYTES") -> None:
    deadline = time.monotonic() + 10 * timeout  # a host dripping bytes must not pin a worker either
    final, r = follow("GET", url, timeout, allow_private, {"Accept-Encoding": "identity"}, stream=True)
    try:
        check_status(final, r)
        declared = int(r.headers.get("Content-Length") or 0)
        if declared > max_bytes:
            raise InputRefused(f"{redact(url)}: {declared} bytes, over the {max_bytes}-byte input limit "
                               f"({limit_setting})")
        got = 0
        with open(dest, "wb") as fh:
            for chunk in _chunks(r, url, timeout):
                got += len(chunk)
                if got > max_bytes:
                    raise InputRefused(f"{redact(url)}: larger than the {max_bytes}-byte input limit "
                                       f"({limit_setting})")
                if time.monotonic() > deadline:
                    raise InputTimeout(f"{redact(url)}: download took over {10 * timeout:g}s")
                fh.write(chunk)
    finally:
        r.close()


def _chunks(r, url: str, timeout: float):
    import urllib3

    try:
        yield from r.stream(1 << 20)
    except urllib3.exceptions.TimeoutError as exc:
        raise InputTimeout(f"{redact(url)}: no answer within {timeout}s (VIDSIFT_HTTP_TIMEOUT_S)") from exc
    except urllib3.exceptions.HTTPError as exc:
        raise StorageError(f"{redact(url)}: {type(exc).__name__}") from exc
