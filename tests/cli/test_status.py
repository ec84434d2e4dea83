"""`vidsift status JOB`: a job's records written through JobStore, real queues in a vhost of its own."""

from __future__ import annotations

import json
import signal
import subprocess
import time

import pytest

from tests.alerts.broker import broker_url, fill, holding, temp_vhost
from tests.infra import env_with, vidsift_exe, wait_for
from vidsift.jobs import JobStore
from vidsift.recipe import load_recipe
from vidsift.refs import ClipRef, SourceInfo
from vidsift.storage import FileStorage

pytestmark = pytest.mark.integration
JOB = "demo-1"


def clips_of(name: str, n: int) -> tuple[SourceInfo, list[ClipRef]]:
    info = SourceInfo(uri=f"file:///videos/{name}.mp4", source_id=f"sid-{name}", size=1000, width=640,
                      height=360, fps=25.0, frames=25 * 2 * (n + 2), duration=2.0 * (n + 2))
    return info, [ClipRef(job=JOB, recipe_id="r", id=f"{name}-{i}", source=info, scene=i, start_frame=50 * i,
                          end_frame=50 * i + 50, start=2.0 * i, end=2.0 * i + 2) for i in range(n + 2)]


@pytest.fixture
def job(tmp_path) -> tuple[str, JobStore, ClipRef]:
    """Two sources (6 clips passed on, 2 rejected at split), one failed input, decisions at each stage."""
    jobs = JobStore(FileStorage(str(tmp_path / "data" / "jobs" / JOB)), JOB)
    jobs.save_recipe(load_recipe("local"))
    a_info, a = clips_of("a", 4)
    b_info, b = clips_of("b", 2)
    jobs.save_source(a_info, a[:4])
    jobs.save_source(b_info, b[:2])
    jobs.reject_clip(a[4], "split", "video_duration_filter", "video_duration 0.5 < min 1")
    jobs.reject_clip(a[5], "split", "video_duration_filter", "video_duration 0.4 < min 1")
    jobs.reject_input("file:///videos/bad.mp4", "split", None, "moov atom not found", "corrupt_video")
    jobs.reject_clip(a[0], "score", "video_watermark_filter", "video_watermark_prob 0.9 >= prob_threshold 0.6")
    jobs.reject_clip(a[1], "score", None, "CUDA error", error_type="model_error")
    jobs.reject_clip(a[2], "caption", "video_captioning_mapper", "the model returned an empty caption")
    jobs.accept(b[0])
    jobs.accept(b[1])
    return f"file://{tmp_path / 'data'}", jobs, a[3]  # a[3]: still in progress


def status(storage: str, vhost: str, *args: str, check=True) -> subprocess.CompletedProcess:
    result = subprocess.run([vidsift_exe(), "status", JOB, *args], capture_output=True, text=True, timeout=60,
                            env=env_with(VIDSIFT_STORAGE_URL=storage, VIDSIFT_BROKER_URL=broker_url(vhost)))
    if check:
        assert result.returncode == 0, result.stderr
    return result


@pytest.fixture(scope="module")
def queues():
    with temp_vhost("status") as vhost:
        fill(vhost, "vidsift.split", 4)
        fill(vhost, "vidsift.score", 4)
        fill(vhost, "vidsift.score.dlq", 2)
        with holding(vhost, "vidsift.score"):  # one score task in flight
            yield vhost


def by_stage(doc: dict) -> dict[str, dict]:
    return {s["stage"]: s for s in doc["stages"]}


def test_counts_from_records_and_queues(job, queues):
    storage, _, _ = job
    # The management API publishes queue statistics every few seconds.
    def settled():
        doc = json.loads(status(storage, queues, "--json").stdout)
        return doc if by_stage(doc)["score"]["in_flight"] == 1 and by_stage(doc)["split"]["queued"] == 4 else None
    wait_for(settled, 30, "the management API's queue statistics")
    doc = settled()
    assert (doc["sources"], doc["clips"], doc["accepted"], doc["in_progress"]) == (2, 6, 2, 1)
    s = by_stage(doc)
    assert (s["split"]["done"], s["split"]["total"]) == (3, 3 + 4)  # total: done + still queued
    assert s["split"]["rejected"] == {"video_duration_too_low": 2}
    assert s["split"]["failed"] == {"corrupt_video": 1}
    assert (s["score"]["queued"], s["score"]["in_flight"], s["score"]["consumers"], s["score"]["dead_lettered"]) \
        == (3, 1, 1, 2)
    assert (s["score"]["done"], s["score"]["total"]) == (5, 6)
    assert s["score"]["rejected"] == {"video_watermark_prob_too_high": 1}
    assert s["score"]["failed"] == {"model_error": 1}
    assert (s["resize"]["done"], s["resize"]["total"]) == (3, 4)
    assert (s["caption"]["done"], s["caption"]["total"], s["caption"]["rejected"]) == (3, 4, {"other": 1})

    text = status(storage, queues).stdout
    assert f"job {JOB}: 2 sources split, 6 clips passed on; 2 accepted, 1 in progress" in text
    score_row = next(line for line in text.splitlines() if line.startswith("score"))
    assert score_row.split()[:5] == ["score", "3", "1", "1", "2"]
    assert "5/6" in score_row and "83%" in score_row and "video_watermark_prob_too_high 1" in score_row


def test_without_the_management_api_queues_come_over_amqp(job, queues):
    storage, _, _ = job
    result = status(storage, queues, "--json", "--management-url", "http://guest:n0t-this-one@127.0.0.1:1")
    doc = json.loads(result.stdout)
    score = by_stage(doc)["score"]
    assert (score["queued"], score["in_flight"], score["consumers"]) == (3, None, 1)
    assert "in flight: unknown" in doc["queue_note"]
    assert "n0t-this-one" not in result.stdout + result.stderr


def test_watch_refreshes_with_new_records(job, queues):
    storage, jobs, last = job
    proc = subprocess.Popen([vidsift_exe(), "status", JOB, "--watch", "--interval", "0.3"], text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=env_with(VIDSIFT_STORAGE_URL=storage, VIDSIFT_BROKER_URL=broker_url(queues)))
    try:
        time.sleep(2)
        jobs.accept(last)
        time.sleep(2)
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    assert "2 accepted, 1 in progress" in out and "3 accepted, 0 in progress" in out


def test_bad_and_unknown_jobs(job, queues):
    storage, _, _ = job
    bad = subprocess.run([vidsift_exe(), "status", "../etc"], capture_output=True, text=True, timeout=60,
                         env=env_with(VIDSIFT_STORAGE_URL=storage))
    assert bad.returncode == 2 and "is not a job id" in bad.stderr
    missing = subprocess.run([vidsift_exe(), "status", "nope"], capture_output=True, text=True, timeout=60,
                             env=env_with(VIDSIFT_STORAGE_URL=storage))
    assert missing.returncode == 1 and "no job 'nope'" in missing.stderr
