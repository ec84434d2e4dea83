"""`vidsift submit`: push video URIs into the ingest queue (vidsift.split) for job JOB."""

from __future__ import annotations

import click

from . import collect_inputs, recipe_option, require_broker, settings_from, table_options


@click.command()
@click.argument("uris", nargs=-1, required=True)
@click.option("--job", required=True, help="Job id (letters, digits, . _ -): names the job's folder in storage.")
@click.option("--recipe", default="default", show_default=True, help="Recipe YAML file or shipped profile name.")
@table_options
@click.pass_context
def submit(ctx, uris, job, recipe, url_col, caption_col, save_cols):
    """Store the job's recipe, then publish one vidsift.source/1 message per video (files, dirs, URIs,
    s3://bucket/prefix/, @list.txt, or a URL table .csv/.tsv/.parquet/.jsonl whose rows' caption and
    saved columns travel in the message's ``meta``)."""
    from ..jobs import job_store
    from ..layout import RECIPE
    from ..queues import declare_topology
    from ..refs import SourceRef, to_message
    from ..stages import first_stage
    from ..transport import make_app, publish

    settings = settings_from(ctx)
    rec = recipe_option(recipe)
    items = collect_inputs(uris, settings, url_col, caption_col, save_cols)
    try:
        refs = [SourceRef(job=job, uri=i.uri, recipe_id=rec.id, meta=i.meta) for i in items]
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    # Nothing is written until the broker and the job's storage both answer: a submit that cannot
    # publish leaves no job behind (not even ./vidsift-data with the default storage URL).
    require_broker(settings)
    jobs = job_store(settings, job)
    if jobs.store.exists(RECIPE) and jobs.load_recipe().id != rec.id:
        raise click.ClickException(f"job {job!r} already runs recipe {jobs.load_recipe().id}; use a new --job id")
    app = make_app(settings)
    declare_topology(app)
    jobs.save_recipe(rec)
    for ref in refs:
        publish(app, first_stage(), to_message(ref))
    click.echo(f"submitted {len(refs)} video(s) to job {job} (recipe {rec.id})")
    return {"job": job, "recipe_id": rec.id, "submitted": len(refs)}  # vidsift.submit()'s result
