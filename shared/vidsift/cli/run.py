"""`vidsift run`: every stage in this process (embedded; no broker, local storage)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import click

from ..stages import load, stage_specs
from . import Preflight, collect_inputs, recipe_option, settings_from, table_options


def _stage_run_options():
    """The installed stages' `vidsift run` options that change the recipe (StageSpec.run_options,
    e.g. the captioner's --caption-*), in stage order."""
    return [load(s.run_options) for s in stage_specs().values() if s.run_options]


def stage_options(fn):
    for hook in reversed(_stage_run_options()):
        fn = hook.decorate(fn)
    return fn


def with_stage_options(recipe, **options):
    for hook in _stage_run_options():
        recipe = hook.apply(recipe, **options)
    return recipe


@click.command()
@click.argument("inputs", nargs=-1, required=True)
@click.option("--out", "out", required=True, type=click.Path(file_okay=False), help="Output directory.")
@click.option("--recipe", default="local", show_default=True,
              help="Recipe YAML file, or a shipped profile: 'local' (CPU, offline) or 'default' (reference scheme, GPU).")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64), help="Parallel source processes.")
@click.option("--resume", is_flag=True, help="Finish an interrupted run in OUT (finished inputs and clips are skipped).")
@click.option("--retry-failed", is_flag=True,
              help="With --resume: process again the inputs and clips that failed (not those a filter rejected).")
@click.option("--strict", is_flag=True,
              help="Exit 1 if anything failed, even an unreadable input (default: only failures that are not the input's).")
@click.option("--no-progress", is_flag=True, help="No progress bar.")
@click.option("--metrics-port", type=click.IntRange(0, 65535), default=None,
              help="Serve Prometheus metrics on this port while running (default VIDSIFT_METRICS_PORT; 0 = off).")
@table_options
@stage_options
@click.pass_context
def run(ctx, inputs, out, recipe, workers, resume, retry_failed, strict, no_progress, metrics_port,
        url_col, caption_col, save_cols, **stage_opts):
    """Split, filter, resize and caption INPUTS (files, directories, URIs, s3://bucket/prefix/, @list.txt
    or a URL table .csv/.tsv/.parquet/.jsonl) into OUT.

    Writes OUT/manifest.jsonl (accepted clips), OUT/rejected.jsonl (rejected clips and failed
    inputs, each with stage, op and reason) and OUT/summary.json.

    Exit status: 2 if the run cannot start (recipe, settings, models, APIs, output); 1 if a clip or
    input failed for a reason that is not the input's (model, API, storage, internal error), or no
    input gave a clip and some failed, or --strict and anything failed; else 0.
    """
    from ..recipe import RecipeError
    from ..manifest import HEADLINE
    from ..preflight import PreflightError, check_output_dir, preflight
    from ..runner import RunError, check_out_dir, exit_code, run_embedded

    settings = settings_from(ctx, metrics_port=metrics_port)  # None: VIDSIFT_METRICS_PORT
    try:
        rec = with_stage_options(recipe_option(recipe), **stage_opts)
    except RecipeError as exc:
        raise click.UsageError(f"recipe: {exc}") from None
    if retry_failed and not resume:
        raise click.UsageError("--retry-failed retries a run's failures: use it with --resume")
    items = collect_inputs(inputs, settings, url_col, caption_col, save_cols)
    uris = [i.uri for i in items]
    if not uris:
        raise click.UsageError(f"no video files found in {', '.join(inputs)}")
    # Everything that would make the whole run fail, before a single frame is decoded (exit 2).
    try:
        check_out_dir(check_output_dir(out), rec, resume)
        click.echo(f"vidsift run: {len(uris)} input(s), recipe {rec.id} ({', '.join(s.name for s in rec.ops)}); "
                   "checking ops, models and APIs", err=True)
        preflight(rec, settings, out)
    except (PreflightError, RunError) as exc:
        raise Preflight(str(exc)) from None
    try:
        summary = run_embedded(uris, Path(out), rec, settings, workers=workers, resume=resume,
                               progress=not no_progress, retry_failed=retry_failed,
                               meta={i.uri: i.meta for i in items if i.meta})
    except RunError as exc:
        raise click.ClickException(str(exc)) from None
    except KeyboardInterrupt:
        click.echo(f"\ninterrupted: finished clips are kept; the same command with --resume finishes the run "
                   f"in {out}", err=True)
        ctx.exit(130)
    click.echo(json.dumps({k: summary[k] for k in HEADLINE}), err=True)
    moved = summary.get("data_movement", {})
    if moved.get("remote_source_bytes"):
        click.echo(f"read {sum(moved['read_bytes'].values())} bytes of remote inputs: "
                   f"{moved['read_per_source_byte']} per source byte", err=True)
    click.echo(f"manifest: {Path(out) / 'manifest.jsonl'}", err=True)
    code = exit_code(summary, strict)
    if code:
        failures = summary["failures"]
        what = Counter(summary["failed_inputs"]) + Counter(summary["failed_clips"])
        click.echo(f"failed: {failures['system']} not the input's fault, {failures['input']} the input's "
                   f"({', '.join(f'{k} {v}' for k, v in sorted(what.items()))}); reasons in "
                   f"{Path(out) / 'rejected.jsonl'}; after fixing the cause: --resume --retry-failed", err=True)
    ctx.exit(code)
