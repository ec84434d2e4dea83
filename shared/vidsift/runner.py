"""The embedded runner: every stage of the recipe in one machine, local storage.

It is one more distributor of the same stage functions the Celery workers call (``run_stage``):
a source goes through split, and each clip it yields through score, resize and caption.
"""

from __future__ import annotations

import dataclasses
import logging
import time
import traceback
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

from . import layout
from .config import Settings
from .errors import classify
from .manifest import export_job
from .jobs import JobStore
from .metrics import instrument, start_run_metrics
from .ops.base import STAGES
from .pipeline import StageContext, route, run_stage
from .recipe import Recipe, recipe_from_json
from .refs import ClipRef, SourceRef
from .stages import first_stage
from .storage import FileStorage

log = logging.getLogger(__name__)
LOCAL_JOB = "local"


class RunError(RuntimeError):
    pass


def exit_code(summary: dict, strict: bool = False) -> int:
    """1 when a clip or input failed for a reason that is not the input's (model, API, storage,
    internal), when no input gave a clip and some failed, or (``strict``) when anything failed; else 0."""
    f = summary["failures"]
    if f["system"] or (strict and f["input"]):
        return 1
    return 1 if f["input"] and not summary["sources_with_clips"] else 0


@dataclass
class SourceOutcome:
    uri: str
    seconds: float
    stage_seconds: dict[str, float]
    read_bytes: dict[str, int] = field(default_factory=dict)  # from the remote object, per stage
    source_bytes: int = 0  # the remote object's size (0: a local file, whose reads are not counted)


def _tallied(ctx: StageContext, read: dict[str, int], size: list[int]) -> StageContext:
    """The context with its observer also adding up this source's ``read`` events."""
    base = ctx.observer

    def observer(event: str, stage: str, data: dict) -> None:
        if base is not None:
            base(event, stage, data)
        if event == "read":
            read[stage] = read.get(stage, 0) + int(data["bytes"])
            size[0] = int(data.get("size") or size[0])

    return dataclasses.replace(ctx, observer=observer)


def data_movement(outcomes: list[SourceOutcome]) -> dict:
    """The summary's account of bytes read from remote inputs (docs/data-path.md)."""
    read: dict[str, int] = {}
    for o in outcomes:
        for stage, n in o.read_bytes.items():
            read[stage] = read.get(stage, 0) + n
    size = sum(o.source_bytes for o in outcomes)
    out = {"remote_source_bytes": size, "read_bytes": read}
    if size:
        out["read_per_source_byte"] = round(sum(read.values()) / size, 4)
    return out


def process_source(uri: str, ctx: StageContext, meta: dict | None = None) -> SourceOutcome:
    """One source through every stage, depth-first. Failures become records, never exceptions.
    ``meta``: the source's URL-table row (``SourceRef.meta``), carried onto its clips."""
    read: dict[str, int] = {}
    size = [0]
    ctx = _tallied(ctx, read, size)
    t0 = time.monotonic()
    timings = dict.fromkeys(STAGES, 0.0)
    # A long source's split returns its range references, which go through split again (as the
    # transport routes them back to the split queue); each range's clips go on before the next range.
    todo: list[tuple[str, SourceRef | ClipRef]] = [
        (first_stage(), SourceRef(job=ctx.jobs.job, uri=uri, recipe_id=ctx.recipe.id, meta=meta or None))]
    while todo:
        stage, ref = todo.pop(0)
        try:
            t = time.monotonic()
            out = run_stage(stage, ref, ctx)
            timings[stage] += time.monotonic() - t
        except Exception as exc:  # noqa: BLE001 - recorded against the input or clip, the run goes on
            log.error("%s failed for %s: %s", stage, ref.id if isinstance(ref, ClipRef) else uri, exc)
            ctx.jobs.record_failure(ref, stage, _message(exc), classify(exc, stage))
            continue  # a failed range: the other ranges still give their clips
        todo[:0] = [(nxt, r) for r in out if (nxt := route(stage, r))]
    return SourceOutcome(uri, time.monotonic() - t0, timings, read, size[0])


def _message(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}"
    if log.isEnabledFor(logging.DEBUG):
        text += "\n" + traceback.format_exc(limit=5)
    return text[:2000]


# --- worker processes ------------------------------------------------------------------------
_CTX: StageContext | None = None


def _init_worker(out_dir: str, recipe_json: str, settings: Settings) -> None:
    global _CTX
    _CTX = instrument(StageContext(settings, JobStore(FileStorage(out_dir), LOCAL_JOB), recipe_from_json(recipe_json)))


def _work(uri: str, meta: dict | None) -> SourceOutcome:
    assert _CTX is not None
    return process_source(uri, _CTX, meta)


def check_out_dir(out: Path, recipe: Recipe, resume: bool) -> None:
    """Raise RunError if ``out`` holds a run this one may not continue. Writes nothing."""
    recipe_file = Path(out) / layout.RECIPE
    if not recipe_file.exists():
        return
    stored = recipe_from_json(recipe_file.read_text())
    if not resume:
        raise RunError(f"{out} already holds a run (recipe {stored.id}); pass --resume to finish it, "
                       "or choose a new --out directory")
    if stored.id != recipe.id:
        raise RunError(f"{out} was run with recipe {stored.id}, not {recipe.id}; --resume needs the same recipe")


def prepare_out_dir(out: Path, recipe: Recipe, resume: bool) -> JobStore:
    check_out_dir(out, recipe, resume)
    jobs = JobStore(FileStorage(str(out)), LOCAL_JOB)
    jobs.save_recipe(recipe)
    return jobs


def run_embedded(inputs: list[str], out: Path, recipe: Recipe, settings: Settings, workers: int = 1,
                 resume: bool = False, progress: bool = True, listeners=(), retry_failed: bool = False,
                 meta: dict[str, dict] | None = None) -> dict:
    """Run ``inputs`` into ``out``. With ``resume``, inputs already accounted for (every clip has its
    record, or the input has one) are not read again; ``retry_failed`` first forgets the records of
    failed inputs and clips, so those are processed again. ``meta``: URL-table rows by input URI
    (``vidsift.inputs.collect_inputs``)."""
    out = Path(out).resolve()
    jobs = prepare_out_dir(out, recipe, resume)
    if resume:
        if retry_failed:
            log.info("retrying %d failed input(s) and clip(s)", jobs.forget_failures())
        todo = set(jobs.outstanding(inputs))
        inputs_all, inputs = inputs, [u for u in inputs if u in todo]
        log.info("resume: %d of %d input(s) still to do", len(inputs), len(inputs_all))
    else:
        inputs_all = inputs
    # Before the pool forks: its processes inherit the metrics (settings.metrics_port; 0 = off).
    server = start_run_metrics(settings.metrics_port, scratch_dir=settings.scratch_dir)
    try:
        return _run(inputs, out, jobs, recipe, settings, workers, progress, listeners, len(inputs_all), meta or {})
    finally:
        if server is not None:
            server.stop()


def _run(inputs, out: Path, jobs: JobStore, recipe: Recipe, settings: Settings, workers: int, progress: bool,
         listeners, n_inputs: int, meta: dict[str, dict]) -> dict:
    jobs.listeners.extend(listeners)
    t0 = time.monotonic()
    bar = _progress_bar(len(inputs), progress)
    counts = {"accepted": 0, "rejected": 0}

    def on_record(status: str, line: dict) -> None:
        counts[status] += 1

    jobs.listeners.append(on_record)
    outcomes: list[SourceOutcome] = []
    if workers <= 1:
        def observer(event: str, stage: str, data: dict) -> None:
            # Long sources: show frames decoded so far next to the per-video bar.
            if event == "progress" and data.get("total"):
                bar.set_postfix_str(f"{data['done']}/{data['total']} frames, {counts['accepted']} accepted, "
                                    f"{counts['rejected']} rejected")

        ctx = instrument(StageContext(settings, jobs, recipe, observer=observer))
        for uri in inputs:
            bar.set_description(Path(uri).name[:40])
            outcomes.append(process_source(uri, ctx, meta.get(uri)))
            bar.set_postfix(counts, refresh=False)
            bar.update()
    else:
        # Separate processes (CPU decode and Farneback scale with cores); models load lazily in each.
        with ProcessPoolExecutor(workers, initializer=_init_worker,
                                 initargs=(str(out), recipe.to_json(), settings)) as pool:
            futures = [pool.submit(_work, uri, meta.get(uri)) for uri in inputs]
            for fut in as_completed(futures):
                outcomes.append(fut.result())
                bar.update()
    bar.close()
    stage_seconds = {s: round(sum(o.stage_seconds[s] for o in outcomes), 3) for s in STAGES}
    summary, accepted, rejected = export_job(jobs, out / "manifest.jsonl", extra={
        "job": LOCAL_JOB, "recipe_id": recipe.id, "inputs": n_inputs,
        "timings": {"wall_seconds": round(time.monotonic() - t0, 3), "stage_seconds": stage_seconds,
                    "workers": workers},
        "data_movement": data_movement(outcomes),
    })
    from .report import write_run_report

    write_run_report(out, accepted, rejected, summary, recipe)  # the lines just written, not read back
    return summary


def _progress_bar(total: int, enabled: bool):
    from tqdm import tqdm

    return tqdm(total=total, unit="video", disable=not enabled, dynamic_ncols=True, mininterval=0.5)
