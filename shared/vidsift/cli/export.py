"""`vidsift export`: a job's manifest collected from storage, in the same format as `vidsift run`'s."""

from __future__ import annotations

import json
from pathlib import Path

import click

from . import settings_from


def job_store(settings, job_or_dir: str):
    """A JobStore for a job id (under VIDSIFT_STORAGE_URL/jobs/) or for a `vidsift run` output dir."""
    from ..jobs import JobStore
    from ..runner import LOCAL_JOB
    from ..storage import FileStorage, open_storage

    if Path(job_or_dir).is_dir():
        return JobStore(FileStorage(job_or_dir), LOCAL_JOB)
    return JobStore(open_storage(f"{settings.storage_url.rstrip('/')}/jobs/{job_or_dir}", settings), job_or_dir)


@click.command()
@click.argument("job")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False),
              help="Manifest file to write; rejected.jsonl and summary.json go next to it.")
@click.pass_context
def export(ctx, job, out):
    """Collect JOB's records (or a run directory's) into a manifest."""
    from ..export import export_job

    jobs = job_store(settings_from(ctx), job)
    if not jobs.store.exists("recipe.json"):
        raise click.ClickException(f"no job {job!r} in storage (no recipe.json); check VIDSIFT_STORAGE_URL")
    out = Path(out)
    summary = export_job(jobs, out, out.with_name(out.stem + ".rejected.jsonl"), out.with_name(out.stem + ".summary.json"),
                         extra={"job": job, "recipe_id": jobs.load_recipe().id})
    click.echo(json.dumps({k: summary[k] for k in ("accepted_clips", "rejected_clips", "failed_inputs")}))
