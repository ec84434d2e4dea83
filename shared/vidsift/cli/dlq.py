"""`vidsift dlq list|settle|replay STAGE`: inspect a stage's dead-letter queue, record what it holds, send it back."""

from __future__ import annotations

import json
from collections import Counter

import click

from . import require_broker, settings_from
from ..ops.base import STAGES


@click.group()
def dlq():
    """Messages that failed for good in a stage (queue vidsift.STAGE.dlq), with their error type."""


@dlq.command("list")
@click.argument("stage", type=click.Choice(STAGES))
@click.option("--limit", default=1000, show_default=True, help="Show at most this many messages.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per message.")
@click.pass_context
def list_(ctx, stage, limit, as_json):
    """Show STAGE's dead letters (left in the queue): error type, error, job and input."""
    from ..dlq import dead_letters
    from ..queues import declare_topology
    from ..transport import make_app

    settings = settings_from(ctx)
    require_broker(settings)
    app = make_app(settings)
    declare_topology(app)
    letters = dead_letters(app, stage, limit)
    for d in letters:
        if as_json:
            click.echo(json.dumps(d, sort_keys=True, default=str))
            continue
        ref = d["ref"] if isinstance(d["ref"], dict) else {}
        what = ref.get("uri") or (ref.get("source") or {}).get("uri") or "(undecodable message)"
        clip = f" clip {ref['id']}" if "id" in ref else ""
        click.echo(f"{d['error_type']:<18} job={ref.get('job', '?')} {what}{clip}: {d['error']}")
    if not as_json:
        counts = Counter(d["error_type"] for d in letters)
        click.echo(f"{len(letters)} dead letter(s) in {stage}" + (f": {dict(counts)}" if counts else ""), err=True)


@dlq.command()
@click.argument("stage", type=click.Choice(STAGES))
@click.pass_context
def settle(ctx, stage):
    """Write a failure record for each of STAGE's dead letters that has none (worker_lost), so its job completes.

    The messages stay in the dead-letter queue; `replay` still retries them.
    """
    from ..dlq import settle as settle_letters
    from ..queues import declare_topology, dlq_name
    from ..transport import make_app

    settings = settings_from(ctx)
    require_broker(settings)
    app = make_app(settings)
    declare_topology(app)
    n = settle_letters(app, settings, stage)
    click.echo(f"wrote {n} failure record(s) for dead letters of {dlq_name(stage)}")


@dlq.command()
@click.argument("stage", type=click.Choice(STAGES))
@click.option("--type", "error_type", default=None, help="Replay only messages of this error type.")
@click.pass_context
def replay(ctx, stage, error_type):
    """Send STAGE's dead letters (of --type, or all) back to its queue, after fixing the cause."""
    from ..dlq import replay as replay_letters
    from ..pipeline import QUEUES
    from ..queues import declare_topology
    from ..transport import make_app

    settings = settings_from(ctx)
    require_broker(settings)
    app = make_app(settings)
    declare_topology(app)
    n = replay_letters(app, settings, stage, error_type)
    click.echo(f"replayed {n} message(s) into {QUEUES[stage]}")
