"""`vidsift status JOB`: per-stage progress of a job, from the broker's queues and the job's records.

The job's own numbers come from storage (``sources/`` and ``records/`` under the job root). A clip
counts as *done* at a stage once its fate is known there or later: rejected or failed at that stage,
at a later one, or accepted. Queue numbers (queued, in flight, dead-lettered) are the broker's and
count every job that shares the queues.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field

import click

from . import settings_from

BAR_WIDTH = 24
READ_THREADS = 16  # records are small objects: S3 answers many GETs at once
TOP_REASONS = 3


@dataclass
class StageStatus:
    stage: str
    done: int = 0
    total: int | None = None  # None: not known yet
    rejected: Counter = field(default_factory=Counter)  # reason class -> clips
    failed: Counter = field(default_factory=Counter)  # error type -> clips (or inputs, for split)
    queued: int | None = None
    in_flight: int | None = None
    consumers: int | None = None
    dead_lettered: int | None = None


@dataclass
class JobStatus:
    job: str
    sources: int = 0  # split so far
    clips: int = 0  # clips the splitter passed on
    accepted: int = 0
    in_progress: int = 0  # clips passed on whose fate is not known yet
    stages: list[StageStatus] = field(default_factory=list)
    queue_note: str = ""

    def to_json(self) -> dict:
        doc = asdict(self)
        # asdict() rebuilds a Counter from (key, value) pairs, counting the pairs: use the originals.
        for out, st in zip(doc["stages"], self.stages):
            out.update(rejected=dict(st.rejected), failed=dict(st.failed))
        return doc


def job_status(job: str, source_docs: list[dict], records: list[dict], depths: dict | None) -> JobStatus:
    """Combine a job's source documents and records with queue depths (``QueueReader.depths``)."""
    from ..ops.base import STAGES
    from ..outcomes import is_failure, reason_label
    from ..pipeline import QUEUES
    from ..queues import dlq_name

    order = {s: i for i, s in enumerate(STAGES)}
    status = JobStatus(job, sources=len(source_docs), clips=sum(len(d.get("clips", [])) for d in source_docs))
    stages = {s: StageStatus(s) for s in STAGES}
    decided_at = Counter()  # stage -> clips rejected or failed there
    failed_inputs = 0
    for rec in records:
        line = rec.get("line", {})
        if rec.get("status") == "accepted":
            status.accepted += 1
            continue
        st = stages.get(line.get("stage"), stages[STAGES[0]])
        if "clip" not in line:  # an input that never became clips: failed, or a decision (no_clips, ...)
            failed_inputs += 1
            (st.failed if is_failure(line) else st.rejected)[line.get("error_type") or "error"] += 1
            continue
        decided_at[st.stage] += 1
        if is_failure(line):
            st.failed[line["error_type"]] += 1
        else:
            st.rejected[reason_label(line)] += 1
    for stage, st in stages.items():
        if order[stage] == 0:
            st.done = status.sources + failed_inputs
        else:
            later = sum(n for s, n in decided_at.items() if order[s] >= order[stage])
            st.done = later + status.accepted
            # Clips decided before this stage never reach it; clips rejected *at* split are not
            # in the sources' lists at all.
            st.total = status.clips - sum(n for s, n in decided_at.items() if 0 < order[s] < order[stage])
        if depths is not None:
            queue = depths.get(QUEUES[stage])
            dlq = depths.get(dlq_name(stage))
            if queue:
                st.queued, st.in_flight, st.consumers = queue.ready, queue.unacked, queue.consumers
            st.dead_lettered = dlq.ready if dlq else 0
    status.in_progress = max(status.clips - status.accepted
                             - sum(n for s, n in decided_at.items() if order[s] > 0), 0)
    split = stages[STAGES[0]]
    if split.queued is not None:
        # How many inputs the job has is known only to whoever submitted them: what is done plus
        # what still waits in (or is being taken from) the shared ingest queue.
        split.total = split.done + split.queued + (split.in_flight or 0)
    status.stages = list(stages.values())
    return status


def render(status: JobStatus, color: bool = True) -> str:
    lines = [
        f"job {status.job}: {status.sources} sources split, {status.clips} clips passed on; "
        f"{status.accepted} accepted, {status.in_progress} in progress",
        f"{'stage':<8} {'queued':>7} {'in flight':>9} {'workers':>7} {'DLQ':>5}  {'progress':<{len(_bar(0, 1))}}"
        f"  rejected / failed",
    ]
    for s in status.stages:
        reasons = ", ".join(f"{r} {n}" for r, n in s.rejected.most_common(TOP_REASONS))
        errors = ", ".join(f"{r} {n}" for r, n in s.failed.most_common(TOP_REASONS))
        detail = "; ".join(p for p in (reasons, click.style(errors, fg="red") if errors and color else errors) if p)
        lines.append(f"{s.stage:<8} {_n(s.queued):>7} {_n(s.in_flight):>9} {_n(s.consumers):>7} "
                     f"{_n(s.dead_lettered):>5}  {_bar(s.done, s.total)}  {detail}")
    lines.append(status.queue_note or "queued / in flight / workers / DLQ: the broker's queues, shared by every job")
    return "\n".join(lines)


def _n(value: int | None) -> str:
    return "?" if value is None else str(value)


def _bar(done: int, total: int | None) -> str:
    if not total:
        return f"[{' ' * BAR_WIDTH}] {done:>7}/{'?':<7}    "
    frac = min(done / total, 1.0)
    full = int(frac * BAR_WIDTH)
    return f"[{'█' * full}{'░' * (BAR_WIDTH - full)}] {done:>7}/{total:<7} {frac:>4.0%}"


class JobReader:
    """Reads a job's sources and records; keeps what it read, so --watch fetches only new objects."""

    def __init__(self, store) -> None:
        self.store = store
        self._cache: dict[str, dict] = {}

    def read(self, prefix: str) -> list[dict]:
        keys = [k for k in self.store.list(prefix) if k.endswith(".json")]
        new = [k for k in keys if k not in self._cache]
        with ThreadPoolExecutor(READ_THREADS) as pool:
            for key, doc in zip(new, pool.map(lambda k: json.loads(self.store.get_bytes(k)), new)):
                self._cache[key] = doc
        return [self._cache[k] for k in keys]


def read_depths(settings, management_url: str | None) -> tuple[dict | None, str]:
    """Queue depths and a note on where they came from (or why they are missing)."""
    from ..queue_exporter import QueueReader, management_url_for, watched_queues

    tries = [management_url or management_url_for(settings.broker_url), None]
    error = None
    for url in tries:
        try:
            depths = QueueReader(settings.broker_url, url).depths(watched_queues())
        except Exception as exc:  # noqa: BLE001 - the broker is optional for a status report
            error = f"{type(exc).__name__}: {exc}"
            continue
        note = "" if url else "in flight: unknown without the RabbitMQ management API (--management-url)"
        return depths, note
    return None, f"queues unavailable ({error}); numbers below are from the job's records only"


@click.command()
@click.argument("job")
@click.option("--watch", is_flag=True, help="Refresh until interrupted.")
@click.option("--interval", default=2.0, show_default=True, type=click.FloatRange(0.2),
              help="Seconds between refreshes with --watch.")
@click.option("--management-url", envvar="VIDSIFT_MANAGEMENT_URL",
              help="RabbitMQ management API, http://user:pass@host:15672 (default: the broker's host, "
                   "else AMQP without in-flight counts).")
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
@click.pass_context
def status(ctx, job, watch, interval, management_url, as_json):
    """Per-stage progress of JOB (a job id, or a `vidsift run` output directory): queued, in flight,
    done, rejected by reason, failed."""
    from pathlib import Path

    from pydantic import ValidationError

    from .. import layout
    from ..jobs import JobStore, job_store
    from ..refs import SourceRef
    from ..storage import FileStorage

    settings = settings_from(ctx)
    run_dir = Path(job).is_dir()  # a `vidsift run` output directory, as `export` takes
    if run_dir:
        jobs = JobStore(FileStorage(str(Path(job).resolve())), job)
        if not jobs.store.exists(layout.RECIPE):
            raise click.ClickException(f"{job} is not a vidsift run directory (no {layout.RECIPE})")
    else:
        try:
            SourceRef(job=job, uri="-", recipe_id="-")  # the one definition of a valid job id
        except ValidationError:
            raise click.BadParameter(f"{job!r} is not a job id (nor a run directory)", param_hint="JOB") from None
        jobs = job_store(settings, job)
        if not jobs.store.exists(layout.RECIPE):
            raise click.ClickException(f"no job {job!r} under {settings.storage_url}")
    reader = JobReader(jobs.store)
    try:
        while True:
            if run_dir:  # an embedded run uses no queues
                depths, note = None, "a vidsift run directory: no queues; numbers are from its records"
            else:
                depths, note = read_depths(settings, management_url)
            current = job_status(job, reader.read(layout.SOURCES), reader.read(layout.RECORDS), depths)
            current.queue_note = note
            if as_json:
                click.echo(json.dumps(current.to_json(), sort_keys=True))
            else:
                if watch:
                    click.clear()
                click.echo(render(current, color=not as_json))
            if not watch:
                return
            time.sleep(interval)
    except KeyboardInterrupt:
        pass
