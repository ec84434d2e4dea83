"""Prometheus metrics of workers and of the embedded run.

Three hooks feed them, so no stage reports an outcome twice:

* ``record_listener`` (append to ``JobStore.listeners``): every final record -> ``vidsift_clips_total``
  by stage, outcome (accepted / rejected / failed), op and *reason class*;
* ``observer`` (``StageContext.observer``): the events in ``EVENTS`` that stage code emits with
  ``ctx.emit(event, stage, **data)`` -> op latency, bytes, model load time, caption tokens and cost;
* ``stage_timer(stage)`` (around ``run_stage`` in the task / runner loop) -> tasks, latency,
  in-progress, clips passed on.

All three are no-ops until ``start_worker_metrics`` / ``start_run_metrics`` ran, so transports can
wire them unconditionally; ``instrument(ctx)`` attaches the first two to a ``StageContext``.

Celery's prefork pool runs tasks in child processes, so values live in prometheus-client's
multiprocess files: the directory is chosen and emptied *before* any metric exists; children fork
from the parent that serves ``/metrics`` and write their own files.

Labels stay bounded: stage, outcome, op and model names come from code and recipes; a rejection's
free-text reason becomes a class (``outcomes.reason_label``); clip ids and URIs never become labels.
"""

from __future__ import annotations

import os
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, multiprocess, start_http_server, values

from .ops.base import STAGES
from .outcomes import is_failure, reason_label
from .outcomes import label as _label
from .version import __version__

# The observer events stage code may emit, and the data each carries (others are ignored).
EVENTS = {
    "op": "op=<op name>, seconds=<float>: one op ran on one clip",
    "read": "bytes=<int>: media read from storage or an input",
    "write": "bytes=<int>: media written to storage",
    "model_load": "model=<name@revision>, seconds=<float>: a model loaded in this process",
    # the captioner's per-clip usage record (the caption op's usage())
    "captioned": "model=<name>, prompt_tokens=<int>, completion_tokens=<int>, cost_usd=<float>",
}

# Video work spans milliseconds (a filter on stored frames) to many minutes (splitting a long source).
STAGE_BUCKETS = (0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1200, 1800, 3600)
OP_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300)
MODEL_LOAD_BUCKETS = (0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600)

def outcome_of(status: str, line: dict) -> str:
    """accepted / rejected (a filter's decision) / failed (the input or clip could not be processed)."""
    if status == "accepted":
        return "accepted"
    return "failed" if is_failure(line) else "rejected"


def record_stage(line: dict) -> str:
    # Accepted records are written after the last stage and carry no stage of their own.
    return line.get("stage") or STAGES[-1]


class _Metrics:
    """The metric objects. Built only after the multiprocess directory is in place."""

    def __init__(self) -> None:
        def unregistered(cls, name, doc, labels, **kw):
            # Served through a MultiProcessCollector, never the global registry: a second start in
            # one process (tests, a run after a run) must not collide with the first.
            return cls(name, doc, labels, registry=None, **kw)

        self.clips = unregistered(
            Counter, "vidsift_clips_total",
            "Final clip records (rejected inputs included) by deciding stage, outcome, op, reason class.",
            ["stage", "outcome", "op", "reason"])
        self.tasks = unregistered(
            Counter, "vidsift_stage_tasks_total",
            "References a stage processed; outcome error = the task raised and will be retried.",
            ["stage", "outcome"])
        self.outputs = unregistered(
            Counter, "vidsift_stage_outputs_total", "Clip references a stage passed to the next one.",
            ["stage"])
        self.stage_seconds = unregistered(
            Histogram, "vidsift_stage_duration_seconds", "Time a stage spent on one reference.",
            ["stage"], buckets=STAGE_BUCKETS)
        self.op_seconds = unregistered(
            Histogram, "vidsift_op_duration_seconds", "Time one op spent on one clip.",
            ["stage", "op"], buckets=OP_BUCKETS)
        self.in_progress = unregistered(
            Gauge, "vidsift_tasks_in_progress", "References being processed now.",
            ["stage"], multiprocess_mode="livesum")
        self.read_bytes = unregistered(
            Counter, "vidsift_read_bytes_total", "Media bytes read.", ["stage"])
        self.written_bytes = unregistered(
            Counter, "vidsift_written_bytes_total", "Media bytes written.", ["stage"])
        self.model_load = unregistered(
            Histogram, "vidsift_model_load_duration_seconds", "Time to load a model in a worker process.",
            ["stage", "model"], buckets=MODEL_LOAD_BUCKETS)
        self.tokens = unregistered(
            Counter, "vidsift_caption_tokens_total", "Tokens used by captions.", ["model", "kind"])
        self.cost = unregistered(
            Counter, "vidsift_caption_cost_usd_total", "What captions cost, in US dollars.", ["model"])
        # Carries the stage for `up` series (see VidsiftWorkerDown): scrape configs need not relabel.
        self.info = unregistered(
            Gauge, "vidsift_worker_info", "1 per stage this process serves.", ["stage", "version"],
            multiprocess_mode="max")


@dataclass
class MetricsServer:
    port: int
    directory: Path
    stages: tuple[str, ...]
    _httpd: Any = field(repr=False, default=None)

    def stop(self) -> None:
        global _active
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        _active = None


_active: _Metrics | None = None


def default_directory(settings_scratch: str, name: str) -> Path:
    return Path(settings_scratch) / "vidsift-metrics" / name


def _start(port: int, stages: tuple[str, ...], directory: str | os.PathLike | None,
           addr: str, scratch_dir: str | None) -> MetricsServer:
    global _active
    from .config import load_settings

    # One directory per serving port: two workers on one host never share (or clean) each other's.
    path = Path(directory or os.environ.get("PROMETHEUS_MULTIPROC_DIR")
                or default_directory(scratch_dir or load_settings().scratch_dir, f"{'-'.join(stages)}-{port}"))
    path.mkdir(parents=True, exist_ok=True)
    # Files left by an earlier run of this worker would be summed into today's counters. Only
    # prometheus-client's own files go: the directory may be one the operator named.
    for stale in path.glob("*.db"):
        stale.unlink()
    # prometheus-client picks multiprocess mode from this variable; children inherit it.
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(path)
    # The value class was fixed when prometheus_client was first imported, before the variable
    # was set (or for another directory): choose it again for the metrics built below.
    values.ValueClass = values.get_value_class()
    _active = _Metrics()
    for stage in stages:
        _active.info.labels(stage, __version__).set(1)
    registry = CollectorRegistry()
    LiveCollector(registry, path=str(path))
    httpd, _ = start_http_server(port, addr=addr, registry=registry)
    return MetricsServer(httpd.server_port, path, stages, httpd)


def start_worker_metrics(stage: str, port: int, directory: str | os.PathLike | None = None,
                         addr: str = "0.0.0.0", scratch_dir: str | None = None) -> MetricsServer | None:
    """Serve a worker's metrics on ``port`` (``VIDSIFT_METRICS_PORT``; 0 = no metrics).

    Call in the worker's main process before the pool forks. Returns the server, or None when off.
    Pool children inherit the metric objects and write their own files; no per-child hook needed.
    """
    if stage not in STAGES:
        raise ValueError(f"unknown stage {stage!r}; expected one of {', '.join(STAGES)}")
    if not port:
        return None
    return _start(port, (stage,), directory, addr, scratch_dir)


def start_run_metrics(port: int, directory: str | os.PathLike | None = None,
                      addr: str = "0.0.0.0", scratch_dir: str | None = None) -> MetricsServer | None:
    """The same metrics for the embedded run (``vidsift run --metrics-port``), every stage at once."""
    return _start(port, STAGES, directory, addr, scratch_dir) if port else None


class LiveCollector(multiprocess.MultiProcessCollector):
    """Forgets the live gauges (tasks in progress) of pool processes that no longer exist.

    Checked at scrape time by pid, so a child killed by a hard time limit or the OOM killer, which
    runs no shutdown hook, stops counting too. The directory is local to this container, so its
    pids are ours.
    """

    def collect(self):
        for f in Path(self._path).glob("gauge_live*_*.db"):
            pid = int(f.stem.rsplit("_", 1)[1])
            if not _alive(pid):
                multiprocess.mark_process_dead(pid, self._path)
        return super().collect()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie (exited, not yet reaped by its parent) has finished its work too.
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1][0] != "Z"
    except (OSError, IndexError):
        return True


# hooks ---------------------------------------------------------------------------------------
def record_listener(status: str, line: dict) -> None:
    """A ``JobStore`` listener: count each final record."""
    if _active is None:
        return
    outcome = outcome_of(status, line)
    op = _label(line.get("op")) if outcome != "accepted" else "none"
    reason = reason_label(line) if outcome != "accepted" else "none"
    _active.clips.labels(record_stage(line), outcome, op, reason).inc()


def observer(event: str, stage: str, data: dict) -> None:
    """A ``StageContext.observer``: turn the ``EVENTS`` stage code emits into metrics."""
    m = _active
    if m is None:
        return
    if event == "op":
        m.op_seconds.labels(stage, _label(data.get("op"))).observe(float(data["seconds"]))
    elif event == "read":
        m.read_bytes.labels(stage).inc(int(data["bytes"]))
    elif event == "write":
        m.written_bytes.labels(stage).inc(int(data["bytes"]))
    elif event == "model_load":
        m.model_load.labels(stage, _model(data)).observe(float(data["seconds"]))
    elif event == "captioned":
        for kind in ("prompt", "completion"):
            if data.get(f"{kind}_tokens"):
                m.tokens.labels(_model(data), kind).inc(int(data[f"{kind}_tokens"]))
        if data.get("cost_usd"):
            m.cost.labels(_model(data)).inc(float(data["cost_usd"]))


def _model(data: dict) -> str:
    # Model names keep their punctuation (org/name@rev) but not their length.
    return str(data.get("model") or "unknown")[:96]


def instrument(ctx):
    """Make a ``StageContext`` report here: its job store's listener and its observer (idempotent).

    An observer already set (a progress bar) keeps receiving every event.
    """
    if record_listener not in ctx.jobs.listeners:
        ctx.jobs.listeners.append(record_listener)
    if ctx.observer is None:
        ctx.observer = observer
    elif ctx.observer is not observer and not getattr(ctx.observer, "_vidsift_metrics", False):
        previous = ctx.observer

        def both(event: str, stage: str, data: dict) -> None:
            previous(event, stage, data)
            observer(event, stage, data)

        both._vidsift_metrics = True  # type: ignore[attr-defined]
        ctx.observer = both
    return ctx


class _Timing:
    def __init__(self) -> None:
        self.passed = 0

    def outputs(self, n: int) -> None:
        """Say how many clip references the stage passed on."""
        self.passed = n


@contextmanager
def stage_timer(stage: str) -> Iterator[_Timing]:
    """Wrap one ``run_stage`` call: ``with stage_timer(s) as t: t.outputs(len(run_stage(...)))``."""
    timing = _Timing()
    m = _active
    if m is None:
        yield timing
        return
    m.in_progress.labels(stage).inc()
    start = time.perf_counter()
    outcome = "error"
    try:
        yield timing
        outcome = "ok"
    finally:
        m.in_progress.labels(stage).dec()
        m.stage_seconds.labels(stage).observe(time.perf_counter() - start)
        m.tasks.labels(stage, outcome).inc()
        if timing.passed:
            m.outputs.labels(stage).inc(timing.passed)
