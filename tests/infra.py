"""Real infrastructure for tests: RabbitMQ (started if not running) and a SeaweedFS S3 server.

Used by conftest.py and by benchmarks; nothing here is mocked.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TESTDATA = (REPO / ".." / "shared" / "testdata" / "videos").resolve()
S3_ACCESS_KEY = "vidsift-test-access"
S3_SECRET_KEY = "vidsift-test-secret-5d1f0c"  # a test server's key: used to prove it never leaks


def port_open(host: str, port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(check, timeout: float, what: str) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if check():
            return
        time.sleep(0.3)
    raise RuntimeError(f"timed out after {timeout}s waiting for {what}")


def ensure_rabbitmq() -> str:
    """RabbitMQ on 127.0.0.1:5672 (guest/guest); started with `rabbitmq-server -detached` if down."""
    if not port_open("127.0.0.1", 5672):
        exe = shutil.which("rabbitmq-server") or "/usr/sbin/rabbitmq-server"
        subprocess.run([exe, "-detached"], check=False)
        wait_for(lambda: port_open("127.0.0.1", 5672), 90, "RabbitMQ on 127.0.0.1:5672")
    return "amqp://guest:guest@127.0.0.1:5672//"


@dataclass
class S3Server:
    endpoint: str
    bucket: str
    proc: subprocess.Popen
    workdir: Path

    def env(self) -> dict[str, str]:
        return {
            "VIDSIFT_S3_ENDPOINT_URL": self.endpoint,
            "AWS_ACCESS_KEY_ID": S3_ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": S3_SECRET_KEY,
            "AWS_DEFAULT_REGION": "us-east-1",
        }

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def weed_binary() -> str:
    exe = Path(sys.executable).with_name("weed")
    return str(exe) if exe.exists() else (shutil.which("weed") or "weed")


def start_s3(workdir: Path, bucket: str = "vidsift-test") -> S3Server:
    """A real SeaweedFS server (master, volume, filer, S3 gateway) on loopback, with auth."""
    workdir.mkdir(parents=True, exist_ok=True)
    config = workdir / "s3.json"
    config.write_text(json.dumps({"identities": [{
        "name": "vidsift",
        "credentials": [{"accessKey": S3_ACCESS_KEY, "secretKey": S3_SECRET_KEY}],
        "actions": ["Admin", "Read", "Write", "List", "Tagging"],
    }]}))
    # Every listener gets its own free port: weed's defaults (grpc = port + 10000, Iceberg on 8181,
    # ...) collide when two servers run at once or overflow past 65535.
    names = ("master", "volume", "filer", "s3", "master.grpc", "volume.grpc", "filer.grpc", "s3.grpc",
             "s3.iceberg", "s3.lance", "iam")
    ports = {k: free_port() for k in names}
    log = open(workdir / "weed.log", "wb")
    proc = subprocess.Popen(
        [weed_binary(), "server", "-ip=127.0.0.1", "-ip.bind=127.0.0.1", f"-dir={workdir}",
         f"-master.port={ports['master']}", f"-volume.port={ports['volume']}",
         f"-filer.port={ports['filer']}", "-s3", f"-s3.port={ports['s3']}",
         f"-master.port.grpc={ports['master.grpc']}", f"-volume.port.grpc={ports['volume.grpc']}",
         f"-filer.port.grpc={ports['filer.grpc']}", f"-s3.port.grpc={ports['s3.grpc']}",
         f"-s3.port.iceberg={ports['s3.iceberg']}", f"-s3.port.lance={ports['s3.lance']}", f"-iam.port={ports['iam']}",
         f"-s3.config={config}", "-master.volumeSizeLimitMB=64", "-volume.max=50"],
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    endpoint = f"http://127.0.0.1:{ports['s3']}"
    server = S3Server(endpoint, bucket, proc, workdir)
    import boto3
    from botocore.config import Config

    client = boto3.client("s3", endpoint_url=endpoint, aws_access_key_id=S3_ACCESS_KEY,
                          aws_secret_access_key=S3_SECRET_KEY, region_name="us-east-1",
                          config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}))

    def ready() -> bool:
        if proc.poll() is not None:
            raise RuntimeError(f"weed exited: {(workdir / 'weed.log').read_text()[-2000:]}")
        try:
            client.create_bucket(Bucket=bucket)
            client.put_object(Bucket=bucket, Key="ready", Body=b"1")
            return True
        except Exception:  # noqa: BLE001 - still starting
            return False

    try:
        wait_for(ready, 90, f"SeaweedFS S3 at {endpoint}")
    except BaseException:
        server.stop()
        raise
    return server


def vidsift_exe() -> str:
    exe = Path(sys.executable).with_name("vidsift")
    return str(exe) if exe.exists() else "vidsift"


def start_worker(stage: str, env: dict[str, str], log: Path) -> subprocess.Popen:
    """``vidsift worker STAGE`` with one process, its output in ``log``."""
    return subprocess.Popen([vidsift_exe(), "worker", stage, "-c", "1", "--loglevel", "WARNING"], env=env,
                            stdout=open(log, "wb"), stderr=subprocess.STDOUT)


def stop_all(procs: list[subprocess.Popen], timeout: float = 30) -> None:
    """Ask every process to stop, then kill whichever has not within ``timeout``."""
    for p in procs:
        p.terminate()
    for p in procs:
        try:
            p.wait(timeout)
        except subprocess.TimeoutExpired:
            p.kill()


def env_with(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(extra)
    return env


def read_frames(path: Path, indices: list[int]) -> dict:
    """BGR frames of ``path`` at ``indices`` (decoded sequentially: exact frame numbers)."""
    import cv2

    cap = cv2.VideoCapture(str(path))
    out, pos, wanted = {}, 0, set(indices)
    try:
        while wanted:
            ok, frame = cap.read()
            if not ok:
                break
            if pos in wanted:
                out[pos] = frame
                wanted.discard(pos)
            pos += 1
    finally:
        cap.release()
    assert not wanted, f"{path.name}: frames {sorted(wanted)} not decoded"
    return out
