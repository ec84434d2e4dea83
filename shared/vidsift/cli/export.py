"""`vidsift export`: a job's manifest collected from storage, in the same format as `vidsift run`'s.

With ``--recipe NEW.yaml`` the new recipe's filter thresholds are re-applied to the stored stats
(``vidsift.rethreshold``; nothing is recomputed) and the effect of each changed threshold is printed
and written to the summary under ``rethreshold``. ``--format webdataset`` writes tar shards of the
accepted clips into a directory (``vidsift.shards``).
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from . import SetupError, recipe_option, settings_from
from ..layout import RECIPE

FORMATS = ("jsonl", "parquet")  # named by OUT's extension
DIR_FORMATS = ("webdataset",)  # OUT is a directory


def job_store(settings, job_or_dir: str):
    """A JobStore for a job id (under VIDSIFT_STORAGE_URL/jobs/) or for a `vidsift run` output dir."""
    from ..jobs import JobStore, job_store as stored_job
    from ..runner import LOCAL_JOB
    from ..storage import FileStorage

    if Path(job_or_dir).is_dir():
        return JobStore(FileStorage(job_or_dir), LOCAL_JOB)
    return stored_job(settings, job_or_dir)


@click.command()
@click.argument("job")
@click.option("--out", "out", required=True, type=click.Path(),
              help="Manifest file to write; OUT's stem + .rejected.FORMAT and .summary.json go next to it. "
                   "With --format webdataset: a directory for the shards, rejected.jsonl and summary.json.")
@click.option("--recipe", "recipe", default=None,
              help="Re-apply this recipe's filter thresholds to the stored stats (nothing is recomputed).")
@click.option("--format", "fmt", type=click.Choice(FORMATS + DIR_FORMATS), default=None,
              help="jsonl: one JSON line per clip; parquet: one row per clip, one typed column per stat; "
                   "webdataset: tar shards, one sample per accepted clip. Default: from OUT's extension "
                   "(.jsonl, .parquet).")
@click.option("--shard-size", default="1000", show_default=True,
              help="webdataset: samples per shard (1000), or bytes with a unit (500MB, 1GiB).")
@click.option("--report/--no-report", default=True, show_default=True,
              help="Write an HTML report beside the output (OUT's stem + .report.html, or report.html in a "
                   "webdataset directory), with the images and videos it shows copied next to it.")
@click.option("--target", default=None,
              help="webdataset: export only this resized target (e.g. 512x512) as each sample's .mp4 "
                   "(default: every target, as .WxH.mp4).")
@click.pass_context
def export(ctx, job, out, recipe, fmt, shard_size, target, report):
    """Collect JOB's records (or a run directory's) into a manifest, or into WebDataset shards."""
    from ..manifest import HEADLINE, collect, summarize, write_json, write_jsonl, write_parquet

    fmt = output_format(out, fmt)
    if fmt not in DIR_FORMATS and target:
        raise SetupError("--target chooses a webdataset sample's video: use it with --format webdataset")
    size = _shard_size(shard_size) if fmt in DIR_FORMATS else None
    jobs = job_store(settings_from(ctx), job)
    if not jobs.store.exists(RECIPE):
        raise click.ClickException(f"no job {job!r} in storage (no {RECIPE}); check VIDSIFT_STORAGE_URL")
    if fmt == "parquet":
        try:
            import pyarrow  # noqa: F401 - fail before any work, with the fix
        except ImportError:
            raise click.ClickException("--format parquet needs pyarrow: pip install 'vidsift[export]'") from None
    out = Path(out)
    stored = jobs.load_recipe()
    accepted, rejected = collect(jobs)
    extra = {"job": job, "recipe_id": stored.id}
    recompute_list = out / "recompute.txt" if fmt in DIR_FORMATS else out.with_name(out.stem + ".recompute.txt")
    if recipe:
        result = _rethreshold(stored, recipe, accepted, rejected, recompute_list)
        accepted, rejected = result.accepted, result.rejected
        extra["rethreshold"] = result.counts
    if fmt in DIR_FORMATS:
        summary = _webdataset(jobs, out, accepted, rejected, extra, size, target)
        if report:
            _report(jobs, out / "report.html", accepted, rejected, summary, recipe_option(recipe) if recipe else stored)
        click.echo(json.dumps({k: summary[k] for k in HEADLINE}))
        return summary  # vidsift.export()'s result
    write = write_parquet if fmt == "parquet" else write_jsonl
    write(out, accepted)
    write(out.with_name(f"{out.stem}.rejected.{fmt}"), rejected)
    summary = summarize(accepted, rejected, extra)
    write_json(out.with_name(out.stem + ".summary.json"), summary)
    if report:
        _report(jobs, out.with_name(out.stem + ".report.html"), accepted, rejected, summary,
                recipe_option(recipe) if recipe else stored)
    click.echo(json.dumps({k: summary[k] for k in HEADLINE}))
    return summary  # vidsift.export()'s result


def _report(jobs, dest: Path, accepted: list[dict], rejected: list[dict], summary: dict, recipe) -> None:
    """The run report for an exported job (a distributed one too): ``dest``, and the images and videos
    it shows in ``<stem>_files/`` beside it, so it opens from disk (vidsift.report)."""
    from ..report import write_job_report

    write_job_report(jobs, dest, accepted, rejected, summary, recipe)
    click.echo(f"report: {dest}", err=True)


def output_format(out: str, fmt: str | None) -> str:
    """The format OUT's extension names; an explicit --format must agree with it."""
    if fmt in DIR_FORMATS:
        if Path(out).is_file():
            raise SetupError(f"--format {fmt} writes a directory of shards; --out {out} is a file")
        return fmt
    if Path(out).is_dir():
        raise SetupError(f"--out {out} is a directory: name a file, or pass --format webdataset")
    suffix = Path(out).suffix.lower().lstrip(".")
    named = suffix if suffix in FORMATS else None
    if fmt and named and fmt != named:
        raise SetupError(f"--format {fmt} contradicts --out {out} (a .{named} file); drop --format or rename OUT")
    if not fmt and not named:
        raise SetupError(f"--out {out}: cannot tell the format from the name; end it in "
                         f"{' or '.join('.' + f for f in FORMATS)}, or pass --format")
    return fmt or named


def _shard_size(text: str):
    from ..shards import ShardError, ShardSize

    try:
        return ShardSize.parse(text)
    except ShardError as exc:
        raise SetupError(str(exc)) from None


def _webdataset(jobs, out: Path, accepted: list[dict], rejected: list[dict], extra: dict, size, target):
    """Shards of the accepted clips in OUT, with rejected.jsonl and summary.json (its ``shards``)."""
    from ..manifest import summarize, write_json, write_jsonl
    from ..shards import ShardError, check, iter_samples, shard_url, write_shards

    try:
        check(accepted, target)
    except ShardError as exc:
        raise click.ClickException(str(exc)) from None
    shards = write_shards(iter_samples(accepted, jobs.store.get_bytes, target), out, size)
    write_jsonl(out / "rejected.jsonl", rejected)
    summary = summarize(accepted, rejected, {**extra, "shards": shards,
                                             **({"shard_url": shard_url(out, shards)} if shards else {})})
    write_json(out / "summary.json", summary)
    if shards:
        click.echo(f"{len(accepted)} clip(s) in {len(shards)} shard(s): {shard_url(out, shards)}", err=True)
    return summary


def _rethreshold(stored, recipe: str, accepted: list[dict], rejected: list[dict], recompute_list: Path):
    from ..manifest import write_atomic
    from ..rethreshold import RethresholdError, report_lines, rethreshold

    new = recipe_option(recipe)
    # A new recipe means new clip ids, so a recompute goes to a new directory; --resume there lets an
    # interrupted recompute finish. The list holds only the sources with clips needing it (`run @FILE`).
    hint = f"recompute with: vidsift run @{recompute_list} --recipe {recipe} --out NEW_DIR --resume"
    try:
        result = rethreshold(stored, new, accepted, rejected, recompute_hint=hint)
    except RethresholdError as exc:
        raise click.ClickException(str(exc)) from None
    sources = result.counts["recompute_sources"]
    if sources:
        write_atomic(recompute_list, "".join(s + "\n" for s in sources))
    else:
        recompute_list.unlink(missing_ok=True)  # a stale list from an earlier export would mislead
    for line in report_lines(result):
        click.echo(line, err=True)
    return result
