"""Counting what crosses the network: an S3 proxy that counts the bytes of input objects it serves,
and the bytes a clip span needs (from its preceding key frame), read from the container's packets.

Used by the data-movement tests and ``bench/data_movement.py``. The proxy forwards every request
unchanged (Host and signature included) to a real S3 server, so the count is what a worker really
received, independent of vidsift's own counters.
"""

from __future__ import annotations

import json
import subprocess
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import requests


class CountingProxy:
    """An HTTP proxy in front of ``upstream`` counting response bytes of GETs whose path starts with
    ``count_prefix`` (e.g. ``/bucket/inputs/``): the input objects, apart from job storage."""

    def __init__(self, upstream: str, count_prefix: str):
        self.upstream, self.prefix = upstream.rstrip("/"), count_prefix
        self.bytes = 0
        self.gets = 0
        self._lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _forward(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("connection",)}
                r = requests.request(self.command, proxy.upstream + self.path, headers=headers, data=body,
                                     stream=True, allow_redirects=False, timeout=60)
                payload = r.raw.read(decode_content=False) if self.command != "HEAD" else b""
                self.send_response(r.status_code)
                for k, v in r.raw.headers.items():
                    if k.lower() not in ("transfer-encoding", "connection", "content-length"):
                        self.send_header(k, v)
                self.send_header("Content-Length", r.headers.get("Content-Length", str(len(payload)))
                                 if self.command == "HEAD" else str(len(payload)))
                self.end_headers()
                if self.command == "GET" and self.path.split("?")[0].startswith(proxy.prefix):
                    with proxy._lock:
                        proxy.bytes += len(payload)
                        proxy.gets += 1
                if payload:
                    self.wfile.write(payload)

            do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = _forward

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.endpoint = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def reset(self) -> None:
        with self._lock:
            self.bytes = self.gets = 0

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def packets(path: Path) -> list[dict]:
    """Every packet of every stream: stream, time, key flag, byte position and size (demux only)."""
    out = subprocess.run(["ffprobe", "-v", "error", "-show_entries",
                          "packet=stream_index,pts_time,dts_time,flags,pos,size", "-of", "json", str(path)],
                         capture_output=True, text=True, check=True).stdout
    rows = []
    for p in json.loads(out).get("packets", []):
        t = p.get("pts_time", p.get("dts_time"))
        if t is None or p.get("pos") is None:
            continue
        rows.append({"stream": p["stream_index"], "t": float(t), "key": "K" in p.get("flags", ""),
                     "pos": int(p["pos"]), "size": int(p["size"])})
    return rows


def span_bytes(rows: list[dict], start: float, end: float, video_stream: int = 0) -> int:
    """Bytes a span [start, end) of stream time needs: every packet (audio too) laid out in the file
    between its preceding key frame and its last frame."""
    video = [r for r in rows if r["stream"] == video_stream]
    keys = [r for r in video if r["key"] and r["t"] <= start + 1e-6]
    first = max(keys, key=lambda r: r["t"]) if keys else min(video, key=lambda r: r["pos"])
    inside = [r for r in video if first["t"] <= r["t"] < end - 1e-6] or [first]
    lo = min(r["pos"] for r in inside)
    hi = max(r["pos"] + r["size"] for r in inside)
    return hi - lo


# The measurement recipe: the seed's scene and duration split, a 1-3 s duration filter, a
# resolution filter that admits 1080p, one 256x256 target. No model filters: they read stored frames,
# never the source, so they do not change what crosses the network.
RECIPE = """process:
  - video_split_by_scene_mapper: {detector: ContentDetector, threshold: 27.0, min_scene_len: 10}
  - video_split_by_duration_mapper: {split_duration: 3, min_last_split_duration: 1}
  - video_duration_filter: {min_duration: 1, max_duration: 3}
  - video_resolution_filter: {min_width: 256, max_width: 1920, min_height: 256, max_height: 1920}
  - video_resize_resolution_mapper: {targets: ["256x256"], mode: stretch}
"""


@dataclass
class Movement:
    """Bytes read from the input objects, per stage (proxy counts), and what the sources hold."""

    source_bytes: int
    span_bytes: int  # the accepted clips' spans, each from its preceding key frame
    clips: int
    read: dict[str, int]
    gets: dict[str, int]
    manifest: list[dict]
    summary: dict | None = None  # vidsift run's summary.json


def upload(s3, sources: list[Path], prefix: str) -> list[str]:
    import boto3

    client = boto3.client("s3", endpoint_url=s3.endpoint, **_creds())
    uris = []
    for p in sources:
        client.upload_file(str(p), s3.bucket, f"{prefix}/{p.name}")
        uris.append(f"s3://{s3.bucket}/{prefix}/{p.name}")
    return uris


def _creds() -> dict:
    from tests.infra import S3_ACCESS_KEY, S3_SECRET_KEY

    return {"aws_access_key_id": S3_ACCESS_KEY, "aws_secret_access_key": S3_SECRET_KEY, "region_name": "us-east-1"}


def accepted_span_bytes(manifest: list[dict], sources: dict[str, Path]) -> int:
    rows = {uri: packets(path) for uri, path in sources.items()}
    total = 0
    for line in manifest:
        c = line["clip"]
        start = _stream_start(rows[c["source"]])
        total += span_bytes(rows[c["source"]], start + c["start"], start + c["end"])
    return total


def _stream_start(rows: list[dict]) -> float:
    return min(r["t"] for r in rows if r["stream"] == 0)


def run_distributed(s3, rabbitmq_url: str, sources: list[Path], workdir: Path, timeout: float = 900,
                    **extra_env: str) -> Movement:
    """Submit the sources (uploaded to S3) to one worker per stage; the split and resize workers read
    through their own counting proxy and scratch directory (no shared cache)."""
    import uuid

    from tests.infra import env_with, start_worker, stop_all, vidsift_exe

    run = uuid.uuid4().hex[:8]
    inputs = f"inputs-{run}"
    uris = upload(s3, sources, inputs)
    workdir.mkdir(parents=True, exist_ok=True)
    recipe = workdir / "recipe.yaml"
    recipe.write_text(RECIPE)
    proxies = {stage: CountingProxy(s3.endpoint, f"/{s3.bucket}/{inputs}/") for stage in ("split", "resize")}
    base = env_with(VIDSIFT_BROKER_URL=rabbitmq_url, VIDSIFT_STORAGE_URL=f"s3://{s3.bucket}/run-{run}",
                    **s3.env(), **extra_env)
    procs = []
    try:
        for stage in ("split", "score", "resize", "caption"):
            scratch = workdir / f"scratch-{stage}"
            scratch.mkdir(parents=True, exist_ok=True)
            env = dict(base, VIDSIFT_SCRATCH_DIR=str(scratch))
            if stage in proxies:
                env["VIDSIFT_S3_ENDPOINT_URL"] = proxies[stage].endpoint
            procs.append(start_worker(stage, env, workdir / f"worker-{stage}.log"))
        job = f"dm-{run}"
        subprocess.run([vidsift_exe(), "submit", *uris, "--job", job, "--recipe", str(recipe)], env=base, check=True,
                       capture_output=True)
        from tests.integration.test_distributed import wait_done

        wait_done(base, job, uris, timeout)
        out = workdir / "manifest.jsonl"
        subprocess.run([vidsift_exe(), "export", job, "--out", str(out)], env=base, check=True, capture_output=True)
    finally:
        stop_all(procs)
        for p in proxies.values():
            p.stop()
    manifest = [json.loads(l) for l in out.read_text().splitlines() if l.strip()]
    return Movement(sum(p.stat().st_size for p in sources),
                    accepted_span_bytes(manifest, dict(zip(uris, sources))), len(manifest),
                    {s: p.bytes for s, p in proxies.items()}, {s: p.gets for s, p in proxies.items()}, manifest)


def run_embedded(s3, sources: list[Path], workdir: Path, **extra_env: str) -> Movement:
    """``vidsift run`` on the sources in S3, every read through one counting proxy."""
    import uuid

    from tests.infra import env_with, vidsift_exe

    inputs = f"inputs-{uuid.uuid4().hex[:8]}"
    uris = upload(s3, sources, inputs)
    workdir.mkdir(parents=True, exist_ok=True)
    recipe = workdir / "recipe.yaml"
    recipe.write_text(RECIPE)
    proxy = CountingProxy(s3.endpoint, f"/{s3.bucket}/{inputs}/")
    scratch = workdir / "scratch-embedded"
    scratch.mkdir(parents=True, exist_ok=True)
    try:
        env = env_with(**s3.env(), **extra_env)
        env.update(VIDSIFT_S3_ENDPOINT_URL=proxy.endpoint, VIDSIFT_SCRATCH_DIR=str(scratch))
        out = workdir / "embedded"
        subprocess.run([vidsift_exe(), "run", *uris, "--out", str(out), "--recipe", str(recipe), "--no-progress"],
                       env=env, check=True, capture_output=True)
    finally:
        proxy.stop()
    manifest = [json.loads(l) for l in (out / "manifest.jsonl").read_text().splitlines() if l.strip()]
    return Movement(sum(p.stat().st_size for p in sources), accepted_span_bytes(manifest, dict(zip(uris, sources))),
                    len(manifest), {"all": proxy.bytes}, {"all": proxy.gets}, manifest,
                    json.loads((out / "summary.json").read_text()))


def long_source(out: Path, seconds: int, base: Path, bitrate: str = "2M", gop: int = 50) -> Path:
    """A long CFR source (640x360, 25 fps, no audio, index first) looped from a test video."""
    loops = max(0, -(-seconds // 10) - 1)
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-stream_loop", str(loops), "-i", str(base), "-t", str(seconds),
                    "-vf", "scale=640:360,fps=25", "-c:v", "libx264", "-preset", "ultrafast", "-b:v", bitrate,
                    "-g", str(gop), "-pix_fmt", "yuv420p", "-an", "-movflags", "+faststart", str(out)],
                   check=True)
    return out


@dataclass
class RangeMovement:
    """A long source split in range tasks, each task on a node of its own (no shared cache)."""

    source_bytes: int
    plan: int  # bytes the planning task read
    ranges: list[dict]  # per range: own [start, end), read, gets, decoded (bytes of its frames), overlap, seconds
    plan_gets: int = 0
    plan_seconds: float = 0.0

    @property
    def split(self) -> int:
        return self.plan + sum(r["read"] for r in self.ranges)

    @property
    def overlap(self) -> int:
        """Bytes of frames a range decodes outside its own (the warm-up before it, the scene open at its
        end): what two tasks read both, by design."""
        return sum(r["overlap"] for r in self.ranges)


def split_in_ranges(s3, source: Path, workdir: Path, range_s: float, recipe_text: str = RECIPE) -> RangeMovement:
    """Split ``source`` (uploaded to S3) as split workers without a shared cache would: the planning
    task and every range task each with an empty scratch directory of its own, their reads counted by
    the proxy. The S3 credentials must be in the environment (``s3.env()``)."""
    import uuid

    from vidsift.config import Settings
    from vidsift.jobs import JobStore
    from vidsift.pipeline import StageContext
    from vidsift.recipe import load_recipe
    from vidsift.refs import SourceRef
    from vidsift.storage import FileStorage
    from vidsift_splitter.stage import split_source

    inputs = f"inputs-{uuid.uuid4().hex[:8]}"
    [uri] = upload(s3, [source], inputs)
    recipe = load_recipe(recipe_text)
    jobs = JobStore(FileStorage(str(workdir / "job")), "t")
    jobs.save_recipe(recipe)
    proxy = CountingProxy(s3.endpoint, f"/{s3.bucket}/{inputs}/")

    def task(ref):
        proxy.reset()
        settings = Settings(s3_endpoint_url=proxy.endpoint, scratch_dir=str(workdir / f"node-{uuid.uuid4().hex[:6]}"),
                            split_range_s=range_s)
        t0 = time.monotonic()
        out = split_source(ref, StageContext(settings, jobs, recipe))
        return out, proxy.bytes, proxy.gets, time.monotonic() - t0

    try:
        refs, plan_read, plan_gets, plan_s = task(SourceRef(job="t", uri=uri, recipe_id=recipe.id))
        rows = packets(source)
        ranges = []
        for r in refs:
            _, read, gets, seconds = task(r)
            doc = jobs.load_range(r.source_id, r.range_start)
            last = max(end for _, end in doc["scenes"])
            first, (a, b) = doc["first_frame"], doc["range"]
            decoded = span_bytes(rows, first / r.fps, last / r.fps)
            outside = sum(p["size"] for p in rows if first / r.fps - 1e-6 <= p["t"] < a / r.fps - 1e-6
                          or b / r.fps - 1e-6 <= p["t"] < last / r.fps - 1e-6)
            ranges.append({"range": (a, b), "read": read, "gets": gets, "first_frame": first, "last_frame": last,
                           "decoded": decoded, "overlap": outside, "seconds": seconds})
    finally:
        proxy.stop()
    assert len(list(jobs.store.list("sources/"))) == 1  # every range done: the source is split
    return RangeMovement(source.stat().st_size, plan_read, ranges, plan_gets, plan_s)
