"""`vidsift worker STAGE`: a Celery worker for one stage (the container entrypoint)."""

from __future__ import annotations

import click

from . import settings_from
from ..stages import load, stage_names, stage_spec


@click.command()
@click.argument("stage", type=click.Choice(stage_names()))
@click.argument("celery_args", nargs=-1, type=click.UNPROCESSED)
@click.option("--concurrency", "-c", default=1, show_default=True, type=int,
              help="Worker processes (GPU stages: one per GPU).")
@click.option("--pool", default="prefork", show_default=True, type=click.Choice(["prefork", "solo", "threads"]))
@click.option("--loglevel", default="INFO", show_default=True)
@click.pass_context
def worker(ctx, stage, celery_args, concurrency, pool, loglevel):
    """Consume STAGE's queue (vidsift.STAGE) and publish survivors to the next stage.

    Arguments after ``--`` go to ``celery worker`` as they are, after vidsift's own (so they win),
    e.g. ``vidsift worker split -- -E --max-tasks-per-child 100`` (-E: task events, for Flower).
    """
    if celery_args and any(a.startswith("-Q") or a in ("--queues",) for a in celery_args):
        raise click.UsageError("the stage names the queue; -Q/--queues cannot be passed through")
    from ..pipeline import QUEUES
    from ..transport import declare_topology, make_app

    settings = settings_from(ctx)
    spec = stage_spec(stage)
    if spec.preflight:  # e.g. a model that cannot load fails here, at start, before readiness
        load(spec.preflight)(pool=pool)
    app = make_app(settings)
    declare_topology(app)
    from ..metrics import start_worker_metrics

    start_worker_metrics(stage, settings.metrics_port, scratch_dir=settings.scratch_dir)  # before the pool forks: children inherit it
    app.worker_main([
        "worker", "-Q", QUEUES[stage], "-n", f"{stage}@%h", "-c", str(concurrency), "-P", pool,
        "--prefetch-multiplier=1", f"--loglevel={loglevel}", "--without-gossip", "--without-mingle",
        *celery_args,
    ])
