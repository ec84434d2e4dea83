"""URI safety: allowed schemes, file roots (no traversal, no symlink escape), internal addresses
refused for http(s) inputs by default (on every redirect hop, connecting to the checked address),
oversized bodies refused, credentials redacted,
and storage keys that cannot leave their root. Fast: a local HTTP server, no broker."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from pydantic import ValidationError

from vidsift.config import Settings, load_settings
from vidsift.refs import SourceRef
from vidsift.storage import FileStorage, InputRefused, check_allowed
from vidsift.storage import http as http_module
from vidsift.storage.http import check_public_host, http_download, http_stat, redact


@pytest.mark.parametrize("uri", ["ftp://example.com/a.mp4", "gopher://x/y", "data:video/mp4;base64,AAAA"])
def test_scheme_not_allowed(uri):
    with pytest.raises(InputRefused, match="not allowed"):
        check_allowed(uri, Settings())


def test_allowed_schemes_are_configurable(monkeypatch):
    monkeypatch.setenv("VIDSIFT_ALLOWED_SCHEMES", "s3, https")
    settings = load_settings()
    assert settings.allowed_schemes == ("s3", "https")
    with pytest.raises(InputRefused):
        check_allowed("http://example.com/a.mp4", settings)
    assert check_allowed("s3://bucket/a.mp4", settings) == "s3://bucket/a.mp4"


def test_file_roots(tmp_path):
    root, outside = tmp_path / "videos", tmp_path / "private"
    root.mkdir(), outside.mkdir()
    (root / "ok.mp4").write_bytes(b"x")
    (outside / "secret.mp4").write_bytes(b"x")
    (root / "link.mp4").symlink_to(outside / "secret.mp4")
    settings = Settings(file_roots=(str(root),))
    assert check_allowed(str(root / "ok.mp4"), settings).endswith("/videos/ok.mp4")
    for bad in (str(outside / "secret.mp4"), f"file://{root}/../private/secret.mp4", str(root / "link.mp4"),
                "/etc/passwd"):
        with pytest.raises(InputRefused, match="VIDSIFT_FILE_ROOTS"):
            check_allowed(bad, settings)


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "10.1.2.3", "192.168.0.10", "172.16.5.4",
                                  "169.254.169.254", "[::1]", "[fd00:ec2::254]", "[::ffff:169.254.169.254]",
                                  "[fe80::1]", "100.64.0.1", "0.0.0.0"])
def test_internal_addresses_refused_by_default(host):
    with pytest.raises(InputRefused, match="VIDSIFT_HTTP_ALLOW_PRIVATE"):
        check_public_host(f"http://{host}/latest/meta-data/")


def test_public_address_passes():
    check_public_host("http://93.184.216.34/video.mp4")  # an IP literal: resolves without a network


class _Server:
    def __init__(self):
        self.requests = 0
        self.hosts: list[str] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                outer.requests += 1
                outer.hosts.append(self.headers.get("Host"))
                redirects = {"/redirect": "http://169.254.169.254/latest/meta-data/", "/moved": "/a.mp4",
                             "/loop": "/loop"}
                if self.path in redirects:
                    self.send_response(302)
                    self.send_header("Location", redirects[self.path])
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                body = b"x" * 5000
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_HEAD = do_GET

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()


@pytest.fixture(scope="module")
def server():
    s = _Server()
    yield s
    s.httpd.shutdown()


def test_loopback_refused_before_any_request(server, tmp_path):
    before = server.requests
    with pytest.raises(InputRefused):
        http_download(f"{server.url}/a.mp4", str(tmp_path / "a"), 5, 10_000, allow_private=False)
    with pytest.raises(InputRefused):
        http_stat(f"{server.url}/a.mp4", 5, allow_private=False)
    assert server.requests == before


def test_redirects_are_followed_to_the_final_url(server, tmp_path):
    assert http_stat(f"{server.url}/moved", 5, allow_private=True).size == 5000
    http_download(f"{server.url}/moved", str(tmp_path / "a"), 5, 10_000, allow_private=True)
    assert (tmp_path / "a").stat().st_size == 5000
    with pytest.raises(InputRefused, match="more than 5 redirects"):
        http_stat(f"{server.url}/loop", 5, allow_private=True)


@pytest.fixture
def loopback_counts_as_public(monkeypatch):
    """The test server must be on loopback; let 127.0.0.1 (only) pass the public-address check."""
    real = http_module._public
    monkeypatch.setattr(http_module, "_public", lambda a: str(a) == "127.0.0.1" or real(a))


def test_every_redirect_hop_is_checked_before_connecting(server, tmp_path, loopback_counts_as_public):
    with pytest.raises(InputRefused, match="169.254.169.254"):
        http_download(f"{server.url}/redirect", str(tmp_path / "a"), 5, 10_000, allow_private=False)
    with pytest.raises(InputRefused, match="169.254.169.254"):
        http_stat(f"{server.url}/redirect", 5, allow_private=False)


def test_the_connection_goes_to_the_address_that_was_checked(server, monkeypatch, loopback_counts_as_public):
    """DNS rebinding: a name that resolves to a public address for the check and to an internal one a
    moment later. The request resolves once and connects to what it checked."""
    import socket

    port = int(server.url.rsplit(":", 1)[1])
    answers = ["127.0.0.1", "169.254.169.254"]
    calls = []

    def rebinding(host, *args, **kwargs):
        if host != "video.rebind.test":
            return real(host, *args, **kwargs)
        calls.append(host)
        ip = answers[min(len(calls) - 1, 1)]
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (ip, port))]

    real = socket.getaddrinfo
    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    before = server.requests
    assert http_stat(f"http://video.rebind.test:{port}/a.mp4", 5, allow_private=False).size == 5000
    assert calls == ["video.rebind.test"] and server.requests == before + 1
    assert server.hosts[-1] == f"video.rebind.test:{port}"  # the name, not the address, is the Host


def test_size_limit(server, tmp_path):
    with pytest.raises(InputRefused, match="VIDSIFT_HTTP_MAX_BYTES"):
        http_download(f"{server.url}/big.mp4", str(tmp_path / "a"), 5, 1000, allow_private=True)
    http_download(f"{server.url}/big.mp4", str(tmp_path / "b"), 5, 10_000, allow_private=True)
    assert (tmp_path / "b").stat().st_size == 5000


def test_credentials_redacted_from_urls():
    r = redact("https://alice:hunter2@cdn.example.com:8443/v/a.mp4?X-Amz-Signature=abc&token=t")
    assert r == "https://cdn.example.com:8443/v/a.mp4?<redacted>"
    assert redact("http://example.com/a.mp4") == "http://example.com/a.mp4"


def test_storage_keys_cannot_leave_the_root(tmp_path):
    store = FileStorage(str(tmp_path / "job"))
    for key in ("../escape.json", "records/../../escape.json", "/etc/passwd"):
        with pytest.raises(ValueError, match="escapes"):
            store.put_bytes(key, b"x")
    assert not (tmp_path / "escape.json").exists()


@pytest.mark.parametrize("job", ["../other", "a/b", "", ".hidden", "x" * 65])
def test_job_ids_cannot_name_paths(job):
    with pytest.raises(ValidationError):
        SourceRef(job=job, uri="file:///a.mp4", recipe_id="r")
