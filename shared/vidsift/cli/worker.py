"""`vidsift worker STAGE`: a Celery worker for one stage (the container entrypoint)."""

from __future__ import annotations

import click

from . import settings_from
from ..ops.base import STAGES


@click.command()
@click.argument("stage", type=click.Choice(STAGES))
@click.option("--concurrency", "-c", default=1, show_default=True, type=int,
              help="Worker processes (GPU stages: one per GPU).")
@click.option("--pool", default="prefork", show_default=True, type=click.Choice(["prefork", "solo", "threads"]))
@click.option("--loglevel", default="INFO", show_default=True)
@click.pass_context
def worker(ctx, stage, concurrency, pool, loglevel):
    """Consume STAGE's queue (vidsift.STAGE) and publish survivors to the next stage."""
    from ..pipeline import QUEUES
    from ..transport import declare_topology, make_app

    settings = settings_from(ctx)
    if stage == "score":  # a model that cannot load fails here, at start (VIDSIFT_SCORER_RECIPE)
        from vidsift_scorer.stage import preflight

        preflight()
    app = make_app(settings)
    declare_topology(app)
    from ..metrics import start_worker_metrics

    start_worker_metrics(stage, settings.metrics_port, scratch_dir=settings.scratch_dir)  # before the pool forks: children inherit it
    app.worker_main([
        "worker", "-Q", QUEUES[stage], "-n", f"{stage}@%h", "-c", str(concurrency), "-P", pool,
        "--prefetch-multiplier=1", f"--loglevel={loglevel}", "--without-gossip", "--without-mingle",
    ])
