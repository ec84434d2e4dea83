"""URI safety: allowed schemes, file roots (no traversal, no symlink escape), internal addresses
refused for http(s) inputs by default, redirects and oversized bodies refused, credentials redacted,
and storage keys that cannot leave their root. Fast: a local HTTP server, no broker."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from pydantic import ValidationError

from vidsift.config import Settings, load_settings
from vidsift.refs import SourceRef
from vidsift.storage import FileStorage, InputRefused, check_allowed
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
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                outer.requests += 1
                if self.path == "/redirect":
                    self.send_response(302)
                    self.send_header("Location", "http://169.254.169.254/latest/meta-data/")
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


def test_redirects_not_followed(server, tmp_path):
    with pytest.raises(InputRefused, match="redirect"):
        http_download(f"{server.url}/redirect", str(tmp_path / "a"), 5, 10_000, allow_private=True)


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
