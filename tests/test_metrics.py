"""vidsift.metrics: real prometheus-client multiprocess files, real forked pool children, real HTTP scrapes."""

from __future__ import annotations

import multiprocessing
import os
import signal
import time

import pytest
import requests
from prometheus_client import values
from prometheus_client.parser import text_string_to_metric_families

from tests.infra import free_port, wait_for
from vidsift import metrics
from vidsift.ops.base import STAGES
from vidsift.outcomes import reason_label

CLIP_ID = "3f2a9c0d1e5b7a8c9d0e1f2a"
SOURCE = "s3://bucket/private/path/video.mp4"
FORK = multiprocessing.get_context("fork")  # what Celery's prefork pool does


def rejected(op="video_aesthetics_filter", reason="aesthetics_score 0.31 < min 0.5", **extra):
    return {"videos": [SOURCE], "clip": {"id": CLIP_ID, "source": SOURCE}, "stage": "score",
            "op": op, "reason": reason, **extra}


@pytest.mark.parametrize("status, line, outcome, reason", [
    ("accepted", {"clip": {"id": CLIP_ID}}, "accepted", "none"),
    ("rejected", rejected(), "rejected", "aesthetics_score_too_low"),
    ("rejected", rejected(reason="video_motion_score 12 > max 10"), "rejected", "video_motion_score_too_high"),
    ("rejected", rejected(reason="video_watermark_prob 1 >= prob_threshold 0.6"), "rejected",
     "video_watermark_prob_too_high"),
    ("rejected", rejected(reason="video_motion_score could not be computed"), "rejected",
     "video_motion_score_missing"),
    ("rejected", rejected(reason=f"caption for {CLIP_ID} at {SOURCE} was empty"), "rejected", "other"),
    ("rejected", rejected(op=None, reason="moov atom not found", error_type="corrupt_video"), "failed",
     "corrupt_video"),
    ("rejected", rejected(error_type="Weird Error/Type" * 10), "failed", "weird_error_type" * 3),
])
def test_outcome_and_bounded_reason_class(status, line, outcome, reason):
    assert metrics.outcome_of(status, line) == outcome
    if outcome != "accepted":
        assert reason_label(line) == reason
        assert len(reason) <= 48 and CLIP_ID not in reason


@pytest.fixture
def started(monkeypatch, tmp_path):
    """Start metrics like a worker does; stop them and undo the process-wide mode afterwards."""
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    saved = values.ValueClass
    servers = []

    def start(kind="worker", stage="score", directory=None):
        directory = directory or tmp_path / "metrics"
        if kind == "worker":
            server = metrics.start_worker_metrics(stage, free_port(), directory, addr="127.0.0.1")
        else:
            server = metrics.start_run_metrics(free_port(), directory, addr="127.0.0.1")
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()
    values.ValueClass = saved


def scrape(server) -> dict[tuple, float]:
    text = requests.get(f"http://127.0.0.1:{server.port}/metrics", timeout=5).text
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def value(samples, name, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def _child_task(fail: bool) -> None:
    with metrics.stage_timer("score") as t:
        metrics.observer("op", "score", {"op": "video_aesthetics_filter", "seconds": 0.02})
        metrics.observer("read", "score", {"bytes": 1000})
        if fail:
            raise RuntimeError("storage unreachable")
        metrics.record_listener("rejected", rejected())
        t.outputs(2)


def _run_child(fail: bool) -> None:
    try:
        _child_task(fail)
    except RuntimeError:
        pass


def test_pool_children_add_up_on_one_endpoint(started, tmp_path):
    stale = tmp_path / "metrics" / "counter_4242.db"
    stale.parent.mkdir()
    stale.write_bytes(b"left over from a crashed worker")
    server = started()
    assert not stale.exists()

    children = [FORK.Process(target=_run_child, args=(i == 3,)) for i in range(4)]
    for c in children:
        c.start()
    for c in children:
        c.join(30)
        assert c.exitcode == 0
    metrics.record_listener("accepted", {"clip": {"id": CLIP_ID, "source": SOURCE}})
    metrics.observer("captioned", "caption", {"model": "Qwen/Qwen2-VL-2B-Instruct", "prompt_tokens": 300,
                                              "completion_tokens": 40, "cost_usd": 0.002, "clip": object()})

    s = scrape(server)
    assert value(s, "vidsift_stage_tasks_total", stage="score", outcome="ok") == 3
    assert value(s, "vidsift_stage_tasks_total", stage="score", outcome="error") == 1
    assert value(s, "vidsift_stage_outputs_total", stage="score") == 6
    assert value(s, "vidsift_stage_duration_seconds_count", stage="score") == 4
    assert value(s, "vidsift_op_duration_seconds_count", stage="score", op="video_aesthetics_filter") == 4
    assert value(s, "vidsift_read_bytes_total", stage="score") == 4000
    assert value(s, "vidsift_clips_total", stage="score", outcome="rejected", op="video_aesthetics_filter",
                 reason="aesthetics_score_too_low") == 3
    # accepted records are written after the last stage
    assert value(s, "vidsift_clips_total", stage=STAGES[-1], outcome="accepted", op="none", reason="none") == 1
    assert value(s, "vidsift_caption_tokens_total", model="Qwen/Qwen2-VL-2B-Instruct", kind="prompt") == 300
    assert value(s, "vidsift_caption_cost_usd_total", model="Qwen/Qwen2-VL-2B-Instruct") == pytest.approx(0.002)
    assert value(s, "vidsift_tasks_in_progress", stage="score") == 0
    assert value(s, "vidsift_worker_info", stage="score", version=metrics.__version__) == 1
    # bounded labels: no clip id, no URI, and no per-process label from the multiprocess files
    for name, labels in s:
        assert name.startswith("vidsift_"), name
        for key, label in labels:
            assert key != "pid" and CLIP_ID not in label and "://" not in label, (name, labels)


def _hold_task(ready, release) -> None:
    # Plain files, not multiprocessing.Event: a sibling killed while waiting on an Event's
    # condition would leave it unusable.
    with metrics.stage_timer("score"):
        ready.touch()
        while not release.exists():
            time.sleep(0.05)


def test_in_progress_counts_live_children_only(started, tmp_path):
    server = started()
    release = tmp_path / "release"
    held = []
    for i in range(2):
        ready = tmp_path / f"ready{i}"
        held.append(FORK.Process(target=_hold_task, args=(ready, release)))
        held[-1].start()
        wait_for(ready.exists, 30, f"child {i} to start its task")
    assert value(scrape(server), "vidsift_tasks_in_progress", stage="score") == 2

    # A child killed mid-task (hard time limit, OOM killer) runs no hook: it must stop counting.
    os.kill(held[0].pid, signal.SIGKILL)
    held[0].join(10)
    wait_for(lambda: value(scrape(server), "vidsift_tasks_in_progress", stage="score") == 1, 10,
             "the killed child's task to leave the in-progress gauge")
    release.touch()
    held[1].join(30)
    assert held[1].exitcode == 0
    assert value(scrape(server), "vidsift_tasks_in_progress", stage="score") == 0


def test_embedded_run_serves_every_stage_and_restarts_from_zero(started, tmp_path):
    first = started()
    with metrics.stage_timer("score"):
        pass
    assert value(scrape(first), "vidsift_stage_tasks_total", stage="score", outcome="ok") == 1
    first.stop()

    run = started("run", directory=tmp_path / "metrics")  # the same directory, cleaned again
    s = scrape(run)
    assert {dict(labels)["stage"] for name, labels in s if name == "vidsift_worker_info"} == set(STAGES)
    assert value(s, "vidsift_stage_tasks_total", stage="score", outcome="ok") == 0


def test_off_without_a_port(monkeypatch):
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    assert metrics.start_worker_metrics("split", 0) is None
    assert "PROMETHEUS_MULTIPROC_DIR" not in os.environ
    # the hooks stay harmless no-ops, so transports can wire them unconditionally
    with metrics.stage_timer("split") as t:
        metrics.observer("op", "split", {"op": "x", "seconds": 1.0})
        metrics.record_listener("rejected", rejected())
        t.outputs(3)
    with pytest.raises(ValueError, match="unknown stage"):
        metrics.start_worker_metrics("transcode", 9100)


def test_worker_metrics_cost_little(started):
    """The hooks run per clip: they must stay far below any op's cost."""
    started()
    t0 = time.perf_counter()
    for _ in range(2000):
        with metrics.stage_timer("score") as t:
            metrics.record_listener("rejected", rejected())
            t.outputs(1)
    per_task = (time.perf_counter() - t0) / 2000
    assert per_task < 0.002, f"{per_task * 1e6:.0f} µs per task"


def test_instrument_wires_a_stage_context_once(started, tmp_path):
    from vidsift.jobs import JobStore
    from vidsift.pipeline import StageContext
    from vidsift.recipe import load_recipe
    from vidsift.storage import FileStorage

    server = started()
    seen = []
    ctx = StageContext(None, JobStore(FileStorage(str(tmp_path / "job")), "job"), load_recipe("local"),
                       observer=lambda event, stage, data: seen.append(event))
    for _ in range(2):
        metrics.instrument(ctx)
    assert ctx.jobs.listeners == [metrics.record_listener]
    ctx.emit("read", "split", bytes=10)
    ctx.jobs.reject_input("file:///x.mp4", "split", None, "moov atom not found", "corrupt_video")
    s = scrape(server)
    assert seen == ["read"]  # the earlier observer still hears everything, once
    assert value(s, "vidsift_read_bytes_total", stage="split") == 10
    assert value(s, "vidsift_clips_total", stage="split", outcome="failed", op="none", reason="corrupt_video") == 1


def test_embedded_run_serves_the_same_metrics(monkeypatch, tmp_path, video):
    """`vidsift run --metrics-port`: every record and stage task of a real run is counted."""
    from prometheus_client import CollectorRegistry

    from vidsift.config import Settings
    from vidsift.recipe import load_recipe
    from vidsift.runner import run_embedded

    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    saved = values.ValueClass
    port = free_port()
    scraped = []

    def during(status, line):  # the server answers while the run is still going
        if not scraped:
            scraped.append(requests.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text)

    try:
        summary = run_embedded([str(video("pyscenedetect__testvideo.mp4"))], tmp_path / "out", load_recipe("local"),
                               Settings(metrics_port=port, scratch_dir=str(tmp_path)), progress=False,
                               listeners=[during])
    finally:
        values.ValueClass = saved
    assert scraped and "vidsift_worker_info" in scraped[0]
    directory = metrics.default_directory(str(tmp_path), f"{'-'.join(STAGES)}-{port}")
    registry = CollectorRegistry()
    metrics.LiveCollector(registry, path=str(directory))
    samples = {(s.name, tuple(sorted(s.labels.items()))): s.value
               for family in registry.collect() for s in family.samples}
    clips = sum(v for (name, _), v in samples.items() if name == "vidsift_clips_total")
    assert clips == summary["accepted_clips"] + summary["rejected_clips"] + sum(summary["failed_clips"].values()) > 0
    assert value(samples, "vidsift_stage_tasks_total", stage="split", outcome="ok") == 1
    passed = value(samples, "vidsift_stage_outputs_total", stage="split")
    assert passed == value(samples, "vidsift_stage_tasks_total", stage="score", outcome="ok") > 0
    assert value(samples, "vidsift_clips_total", stage="caption", outcome="accepted", op="none",
                 reason="none") == summary["accepted_clips"]
