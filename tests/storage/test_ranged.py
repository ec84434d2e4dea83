"""Remote inputs read by ranged GETs on real servers (SeaweedFS S3, a Range-capable HTTP server):
the bytes tools see are the object's, only what they ask for crosses the network, and a source that
changes or goes away while it is read is a typed error, never a mix of two versions."""

from __future__ import annotations

import hashlib
import logging
import subprocess
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import boto3
import pytest

from tests.infra import S3_ACCESS_KEY, S3_SECRET_KEY
from tests.movement import packets, span_bytes
from vidsift.config import Settings
from vidsift.storage import InputRefused, NotFound, SourceChanged, fingerprint, open_input
from vidsift.storage import inputs as inputs_module

VIDEO = "video2dataset__test_video.mp4"  # 123 s, key frames about 5 s apart
SHORT = "cosmoscurate__test_clip_10s.mp4"


def frames_md5(path: str) -> tuple[int, str]:
    import cv2

    cap = cv2.VideoCapture(path)
    h, n = hashlib.md5(), 0
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        h.update(frame.tobytes())
        n += 1
    cap.release()
    return n, h.hexdigest()


def upload(s3_server, path):
    client = boto3.client("s3", endpoint_url=s3_server.endpoint, aws_access_key_id=S3_ACCESS_KEY,
                          aws_secret_access_key=S3_SECRET_KEY, region_name="us-east-1")
    key = f"ranged-{uuid.uuid4().hex[:8]}/{path.name}"
    client.upload_file(str(path), s3_server.bucket, key)
    return client, key, f"s3://{s3_server.bucket}/{key}"


@pytest.fixture
def s3_object(s3_server, video):
    return upload(s3_server, video(VIDEO))


def settings_for(s3_server, tmp_path, **kw) -> Settings:
    return Settings(s3_endpoint_url=s3_server.endpoint, scratch_dir=str(tmp_path), **kw)


def test_s3_input_reads_through_a_loopback_url_with_the_same_frames(s3_server, video, tmp_path, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", S3_ACCESS_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", S3_SECRET_KEY)
    local = video(SHORT)
    _, _, uri = upload(s3_server, local)
    with open_input(uri, settings_for(s3_server, tmp_path)) as src:
        assert src.path.startswith("http://127.0.0.1:")
        assert fingerprint(src) == fingerprint(str(local))
        assert frames_md5(src.path) == frames_md5(str(local))
        src.check()
        # The whole decode read the object once (cached blocks are not fetched again).
        assert src.bytes_read == local.stat().st_size


def test_a_span_reads_only_its_blocks(s3_server, s3_object, video, tmp_path, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", S3_ACCESS_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", S3_SECRET_KEY)
    _, _, uri = s3_object
    size = video(VIDEO).stat().st_size
    with open_input(uri, settings_for(s3_server, tmp_path)) as src:
        proc = subprocess.run(["ffmpeg", "-v", "error", "-ss", "60", "-i", src.path, "-t", "3", "-f", "null", "-"],
                              capture_output=True)
        assert proc.returncode == 0, proc.stderr
        src.check()
        assert 0 < src.bytes_read < size / 4  # 3 s of a 123 s video, plus header and GOP lead-in


def test_an_object_overwritten_while_read_is_source_changed(s3_server, s3_object, tmp_path, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", S3_ACCESS_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", S3_SECRET_KEY)
    client, key, uri = s3_object
    with open_input(uri, settings_for(s3_server, tmp_path)) as src:
        body = client.get_object(Bucket=s3_server.bucket, Key=key)["Body"].read()
        client.put_object(Bucket=s3_server.bucket, Key=key, Body=body[::-1])  # same size, other bytes
        with pytest.raises(SourceChanged, match="changed"), src.open() as fh:
            fh.seek(len(body) // 2)
            fh.read(10)
        # A tool reading through the loopback URL sees a short read; the task sees the cause.
        subprocess.run(["ffprobe", "-v", "quiet", "-show_packets", src.path], capture_output=True)
        with pytest.raises(SourceChanged):
            src.check()


def test_an_object_deleted_while_read_is_not_found(s3_server, s3_object, tmp_path, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", S3_ACCESS_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", S3_SECRET_KEY)
    client, key, uri = s3_object
    with open_input(uri, settings_for(s3_server, tmp_path)) as src:
        client.delete_object(Bucket=s3_server.bucket, Key=key)
        with pytest.raises(NotFound), src.open() as fh:
            fh.seek(src.stat.size - 10)
            fh.read(10)


class Site:
    """A real HTTP server for one file: Range and If-Match like common web servers, or neither."""

    def __init__(self, data: bytes, ranges: bool = True):
        self.data, self.etag, self.ranges = data, '"v1"', ranges
        self.bytes_sent = 0
        self.requests: list[str] = []
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def _moved(self):
                if not self.path.startswith("/old/"):
                    return False
                self.send_response(301)
                self.send_header("Location", f"/{VIDEO}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return True

            def do_HEAD(self):
                if self._moved():
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(len(site.data)))
                self.send_header("ETag", site.etag)
                self.end_headers()

            def do_GET(self):
                if self._moved():
                    return
                site.requests.append(self.headers.get("Range", ""))
                if self.headers.get("If-Match") not in (None, site.etag):
                    self.send_response(412)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                rng = self.headers.get("Range", "")
                start, end = 0, len(site.data)
                if site.ranges and rng.startswith("bytes="):
                    a, b = rng[6:].split("-")
                    start, end = int(a), min(len(site.data), int(b) + 1)
                    self.send_response(206)
                    self.send_header("Content-Range", f"bytes {start}-{end - 1}/{len(site.data)}")
                else:
                    self.send_response(200)
                self.send_header("Content-Length", str(end - start))
                self.send_header("ETag", site.etag)
                self.end_headers()
                self.wfile.write(site.data[start:end])
                site.bytes_sent += end - start

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/{VIDEO}"

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def site(video):
    s = Site(video(VIDEO).read_bytes())
    yield s
    s.stop()


def test_http_input_reads_a_span_with_range_requests(site, video, tmp_path):
    settings = Settings(scratch_dir=str(tmp_path), http_allow_private=True)
    with open_input(site.url, settings) as src:
        assert src.path.startswith("http://127.0.0.1:") and src.path != site.url
        subprocess.run(["ffmpeg", "-v", "error", "-recv_buffer_size", "65536", "-ss", "90", "-i", src.path, "-t", "2",
                        "-f", "null", "-"], check=True)
        src.check()
    assert all(r.startswith("bytes=") for r in site.requests)
    rows = packets(video(VIDEO))
    header = min(r["pos"] for r in rows)  # ftyp + moov: everything before the first packet
    # What the span needs (from the key frame before 90 s) and the header, at most twice over.
    assert site.bytes_sent <= 2 * (span_bytes(rows, 90, 92) + header)


def test_http_source_changed_after_stat_is_detected(site, tmp_path):
    settings = Settings(scratch_dir=str(tmp_path), http_allow_private=True)
    with open_input(site.url, settings) as src:
        site.etag = '"v2"'
        with pytest.raises(SourceChanged), src.open() as fh:
            fh.seek(len(site.data) - 100)
            fh.read(100)


def test_http_without_range_support_downloads_once_per_task_and_says_so_once(video, tmp_path, caplog):
    site = Site(video(VIDEO).read_bytes(), ranges=False)
    inputs_module._warned_hosts.clear()
    try:
        settings = Settings(scratch_dir=str(tmp_path), http_allow_private=True)
        with caplog.at_level(logging.WARNING, logger="vidsift.storage.inputs"):
            for _ in range(2):
                with open_input(site.url, settings) as src:
                    assert src.source is None and src.path.startswith(str(tmp_path))
                    assert fingerprint(src) == fingerprint(str(video(VIDEO)))
        assert sum("ignores Range" in r.getMessage() for r in caplog.records) == 1
    finally:
        site.stop()


def test_every_ranged_request_is_checked_for_private_addresses(site, tmp_path):
    with pytest.raises(InputRefused, match="private/loopback"):
        with open_input(site.url, Settings(scratch_dir=str(tmp_path))):
            pass
    assert site.requests == []


def test_without_range_support_a_source_larger_than_the_scratch_budget_is_refused_by_name(video, tmp_path):
    site = Site(video(VIDEO).read_bytes(), ranges=False)
    try:
        settings = Settings(scratch_dir=str(tmp_path), http_allow_private=True, scratch_max_bytes=1 << 20,
                            read_block_bytes=64 << 10)
        with pytest.raises(InputRefused, match="VIDSIFT_SCRATCH_MAX_BYTES"):
            with open_input(site.url, settings):
                pass
        assert not list(tmp_path.glob("vidsift-src-*"))  # the partial download is gone
    finally:
        site.stop()


def test_a_redirected_source_is_read_by_ranges_at_its_final_url(site, video, tmp_path):
    old = site.url.replace(f"/{VIDEO}", f"/old/{VIDEO}")
    with open_input(old, Settings(scratch_dir=str(tmp_path), http_allow_private=True)) as src:
        assert src.uri == old  # the input keeps its name; the bytes come from where it moved
        assert fingerprint(src) == fingerprint(str(video(VIDEO)))
    assert site.requests and all(r.startswith("bytes=") for r in site.requests)
