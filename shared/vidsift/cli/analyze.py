"""``vidsift analyze INPUT... --out DIR``: resolution, duration, fps and codec statistics."""

from __future__ import annotations

import click

from . import settings_from
from ..analysis import DEFAULT_WORKERS


@click.command()
@click.argument("inputs", nargs=-1, required=True)
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False),
              help="Directory for report.json, report.md, videos.jsonl and the PNG histograms.")
@click.option("--workers", type=click.IntRange(min=1), default=DEFAULT_WORKERS, show_default=True,
              help="Videos probed at once.")
@click.option("--no-charts", is_flag=True, help="Skip the PNG histograms (no matplotlib needed).")
@click.pass_context
def analyze(ctx: click.Context, inputs: tuple[str, ...], out_dir: str, workers: int, no_charts: bool) -> None:
    """Analyse videos: files, directories, s3://bucket/prefix, or @FILE listing one input a line.

    Reads container metadata only; unreadable files are counted and listed, not fatal.
    """
    from tqdm import tqdm

    from ..analysis import analyze as run_analysis
    from ..analysis.render import percent

    settings = settings_from(ctx)
    # disable=None: a bar on a terminal, silence in logs and pipes.
    with tqdm(unit="video", desc="analyze", disable=None) as bar:
        def progress(done: int, total: int) -> None:
            bar.total = total
            bar.update(done - bar.n)

        report = run_analysis(list(inputs), out_dir, settings, workers, progress, charts=not no_charts)
    n, d = report["videos"], report["duration"]
    if n == 0 and not report["unreadable"]:
        raise click.ClickException("no videos found in the inputs")
    click.echo(f"{n} videos, {len(report['unreadable'])} unreadable, {report['total_hours']:.2f} hours")
    for res, c in list(report["resolutions"].items())[:10]:
        click.echo(f"  {res}: {c} ({percent(c, n)})")
    if d["count"]:
        click.echo(f"  duration: min {d['min']:.2f} s, max {d['max']:.2f} s, mean {d['mean']:.2f} s, "
                   f"median {d['median']:.2f} s, std {d['std']:.2f} s")
    click.echo(f"report: {out_dir}/report.md")
