"""Real infrastructure the reliability tests break on purpose: a private RabbitMQ vhost, a SeaweedFS
S3 server that can be stopped and restarted on the same ports, and one `vidsift worker` per stage.

Nothing is mocked. The vhost keeps these tests' queues apart from every other test on the shared
broker (queue names are fixed: vidsift.<stage>).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import uuid
from pathlib import Path

from tests.infra import S3_ACCESS_KEY, S3_SECRET_KEY, env_with, free_port, vidsift_exe, wait_for, weed_binary

STAGES = ("split", "score", "resize", "caption")
# Short CPU-only recipe: the splitter's scene cuts and filters; later stages pass clips through.
RECIPE = """\
process:
  - video_split_by_scene_mapper: {detector: ContentDetector, threshold: 27.0, min_scene_len: 10}
  - video_split_by_duration_mapper: {split_duration: 2, min_last_split_duration: 0.5}
  - video_validity_filter: {any_or_all: all}
  - video_duration_filter: {min_duration: 0.5, max_duration: 3}
  - video_resolution_filter: {min_width: 16, min_height: 16, max_width: 4096, max_height: 4096}
  - video_motion_score_filter: {min_score: 0.25, max_score: 10000, sampling_fps: 2}
"""


def rabbitmqctl(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(["rabbitmqctl", *args], capture_output=True, text=True, check=check, timeout=120)


def new_vhost() -> tuple[str, str]:
    name = f"vidsift-rel-{uuid.uuid4().hex[:8]}"
    rabbitmqctl("add_vhost", name)
    rabbitmqctl("set_permissions", "-p", name, "guest", ".*", ".*", ".*")
    return name, f"amqp://guest:guest@127.0.0.1:5672/{name}"


def queue_depths(vhost: str) -> dict[str, int]:
    """Messages per queue, ready and unacknowledged together."""
    out = rabbitmqctl("list_queues", "-p", vhost, "name", "messages", "--quiet", "--no-table-headers").stdout
    return {p[0]: int(p[1]) for p in (l.split() for l in out.splitlines()) if len(p) == 2 and p[1].isdigit()}


def ensure_rabbitmq_app_running() -> None:
    """After a stop_app, the shared broker must be back for every other test on this machine."""
    rabbitmqctl("start_app", check=False)
    rabbitmqctl("await_startup", check=False)


class Weed:
    """SeaweedFS (master, volume, filer, S3) with fixed ports, so stop() + start() is an outage."""

    def __init__(self, workdir: Path, bucket: str = "vidsift-rel"):
        self.workdir, self.bucket = workdir, bucket
        self.ports = {k: _low_free_port() for k in ("master", "volume", "filer", "s3")}
        self.endpoint = f"http://127.0.0.1:{self.ports['s3']}"
        self.proc: subprocess.Popen | None = None
        workdir.mkdir(parents=True, exist_ok=True)
        (workdir / "s3.json").write_text(json.dumps({"identities": [{
            "name": "vidsift", "credentials": [{"accessKey": S3_ACCESS_KEY, "secretKey": S3_SECRET_KEY}],
            "actions": ["Admin", "Read", "Write", "List", "Tagging"]}]}))

    def env(self) -> dict[str, str]:
        return {"VIDSIFT_S3_ENDPOINT_URL": self.endpoint, "AWS_ACCESS_KEY_ID": S3_ACCESS_KEY,
                "AWS_SECRET_ACCESS_KEY": S3_SECRET_KEY, "AWS_DEFAULT_REGION": "us-east-1"}

    def client(self):
        import boto3
        from botocore.config import Config

        return boto3.client("s3", endpoint_url=self.endpoint, aws_access_key_id=S3_ACCESS_KEY,
                            aws_secret_access_key=S3_SECRET_KEY, region_name="us-east-1",
                            config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1},
                                          connect_timeout=2, read_timeout=10))

    def start(self) -> None:
        p = self.ports
        log = open(self.workdir / "weed.log", "ab")
        self.proc = subprocess.Popen(
            [weed_binary(), "server", "-ip=127.0.0.1", "-ip.bind=127.0.0.1", f"-dir={self.workdir}",
             f"-master.port={p['master']}", f"-volume.port={p['volume']}", f"-filer.port={p['filer']}",
             "-s3", f"-s3.port={p['s3']}", f"-s3.config={self.workdir / 's3.json'}",
             # Lance and Iceberg listen on fixed default ports: off, so parallel servers do not collide.
             "-s3.port.lance=0", "-s3.port.iceberg=0", "-master.volumeSizeLimitMB=64", "-volume.max=50"],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        client = self.client()

        def ready() -> bool:
            if self.proc.poll() is not None:
                raise RuntimeError(f"weed exited: {(self.workdir / 'weed.log').read_text()[-2000:]}")
            try:
                client.create_bucket(Bucket=self.bucket)
            except client.exceptions.BucketAlreadyOwnedByYou:
                pass
            except Exception:  # noqa: BLE001 - still starting
                return False
            try:
                client.put_object(Bucket=self.bucket, Key="ready", Body=b"1")
                return True
            except Exception:  # noqa: BLE001 - not ready yet, whatever the client raises
                return False

        wait_for(ready, 90, f"SeaweedFS S3 at {self.endpoint}")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)  # an outage, not a clean shutdown
            self.proc.wait(10)

    def keys(self, prefix: str) -> list[str]:
        pages = self.client().get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix)
        return [o["Key"][len(prefix):] for page in pages for o in page.get("Contents", [])]


def _low_free_port() -> int:
    """A free port below 55536: SeaweedFS listens for gRPC on port + 10000."""
    while True:
        port = free_port()
        if port < 55536:
            return port


class Cluster:
    """One `vidsift worker` per stage against a private vhost and the Weed server."""

    def __init__(self, broker_url: str, vhost: str, s3: Weed, workdir: Path, **extra_env: str):
        self.vhost, self.s3, self.workdir = vhost, s3, workdir
        self.prefix = f"run-{uuid.uuid4().hex[:8]}"
        self.env = env_with(VIDSIFT_BROKER_URL=broker_url, VIDSIFT_STORAGE_URL=f"s3://{s3.bucket}/{self.prefix}",
                            VIDSIFT_SCRATCH_DIR=str(workdir), **s3.env(), **extra_env)
        self.procs: dict[str, subprocess.Popen] = {}
        self.recipe = workdir / "recipe.yaml"
        self.recipe.write_text(RECIPE)

    def start(self, stage: str) -> None:
        log = open(self.workdir / f"worker-{stage}.log", "ab")
        self.procs[stage] = subprocess.Popen(
            [vidsift_exe(), "worker", stage, "-c", "1", "--loglevel", "INFO"],
            env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)

    def start_all(self) -> None:
        for stage in STAGES:
            self.start(stage)

    def kill(self, stage: str) -> None:
        """kill -9 the worker and its pool children, as a preempted node would."""
        os.killpg(self.procs[stage].pid, signal.SIGKILL)
        self.procs[stage].wait(10)

    def stop_all(self) -> None:
        for p in self.procs.values():
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
        for p in self.procs.values():
            try:
                p.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)

    def alive(self) -> dict[str, bool]:
        return {s: p.poll() is None for s, p in self.procs.items()}

    def log(self, stage: str) -> str:
        path = self.workdir / f"worker-{stage}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def logs(self) -> str:
        return "\n".join(self.log(s) for s in STAGES)

    def vidsift(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        r = subprocess.run([vidsift_exe(), *args], env=self.env, capture_output=True, text=True, timeout=120)
        if check and r.returncode:
            raise AssertionError(f"vidsift {' '.join(args)} exited {r.returncode}:\n{r.stdout}\n{r.stderr[-3000:]}")
        return r

    def submit(self, job: str, uris: list[str]) -> None:
        self.vidsift("submit", *uris, "--job", job, "--recipe", str(self.recipe))

    def job_keys(self, job: str, folder: str) -> list[str]:
        return self.s3.keys(f"{self.prefix}/jobs/{job}/{folder}/")

    def outstanding(self, job: str, uris: list[str]) -> list[str]:
        from vidsift.jobs import JobStore
        from vidsift.storage.s3 import S3Storage

        return JobStore(S3Storage(f"s3://{self.s3.bucket}/{self.prefix}/jobs/{job}", self.s3.endpoint), job).outstanding(uris)

    def wait_done(self, job: str, uris: list[str], timeout: float = 240) -> None:
        """Every input accounted for, and nothing left in any stage queue (duplicates included)."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                if not self.outstanding(job, uris):
                    depths = queue_depths(self.vhost)
                    if not any(depths.get(f"vidsift.{s}", 0) for s in STAGES):
                        return
            except Exception:  # noqa: BLE001 - S3 may be down on purpose
                pass
            time.sleep(1)
        raise AssertionError(f"job {job} not finished after {timeout}s: outstanding "
                             f"{self.outstanding(job, uris)}, queues {queue_depths(self.vhost)}\n{self.logs()[-4000:]}")

    def export(self, job: str) -> tuple[list[dict], list[dict]]:
        out = self.workdir / f"{job}.jsonl"
        self.vidsift("export", job, "--out", str(out))
        return _lines(out), _lines(out.with_name(f"{job}.rejected.jsonl"))

    def dead_letters(self, stage: str) -> list[dict]:
        return [json.loads(l) for l in self.vidsift("dlq", "list", stage, "--json").stdout.splitlines() if l.strip()]


def _lines(path: Path) -> list[dict]:
    return [json.loads(l) for l in path.read_text().splitlines() if l.strip()] if path.exists() else []


def outcome(lines: list[dict]) -> dict:
    """Records by clip id (or failed input URI), reduced to what must agree between two runs."""
    out = {}
    for l in lines:
        clip = l.get("clip")
        if clip:
            stats = {k: round(v, 6) if isinstance(v, float) else v for k, v in l["__dj__stats__"].items()}
            out[clip["id"]] = (clip["start_frame"], clip["end_frame"], stats, l.get("op"))
        else:
            out[l["source"]] = (l["error_type"],)
    return out


def embedded_run(uris: list[str], out: Path, recipe: Path) -> tuple[list[dict], list[dict]]:
    subprocess.run([vidsift_exe(), "run", *uris, "--out", str(out), "--recipe", str(recipe), "--no-progress"],
                   env=env_with(VIDSIFT_SCRATCH_DIR=str(out.parent)), check=True, capture_output=True, timeout=300)
    return _lines(out / "manifest.jsonl"), _lines(out / "rejected.jsonl")
