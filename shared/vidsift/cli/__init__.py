"""The ``vidsift`` command. One module per subcommand; each registers itself on ``main``."""

from __future__ import annotations

import importlib
import logging

import click

from .. import __version__

# Subcommand modules, imported lazily so `vidsift --help` stays fast and a CPU image without
# torch can still run every command it needs.
COMMANDS = {
    "run": "vidsift.cli.run:run",
    "worker": "vidsift.cli.worker:worker",
    "submit": "vidsift.cli.submit:submit",
    "export": "vidsift.cli.export:export",
    "status": "vidsift.cli.status:status",
    "sample": "vidsift.cli.sample:sample",
    "analyze": "vidsift.cli.analyze:analyze",
    "dlq": "vidsift.cli.dlq:dlq",
}


class LazyGroup(click.Group):
    def list_commands(self, ctx):
        return sorted(COMMANDS)

    def get_command(self, ctx, name):
        target = COMMANDS.get(name)
        if target is None:
            return None
        module, _, attr = target.partition(":")
        return getattr(importlib.import_module(module), attr)


@click.group(cls=LazyGroup)
@click.version_option(__version__, prog_name="vidsift")
@click.option("--config", "config_file", type=click.Path(exists=True, dir_okay=False),
              help="YAML file of VIDSIFT_* settings (the environment wins).")
@click.option("-v", "--verbose", count=True, help="More logging (-v info, -vv debug).")
@click.pass_context
def main(ctx: click.Context, config_file: str | None, verbose: int) -> None:
    """vidsift: turn raw web video into a text-to-video training set."""
    logging.basicConfig(
        level=[logging.WARNING, logging.INFO, logging.DEBUG][min(verbose, 2)],
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    ctx.ensure_object(dict)
    ctx.obj["config_file"] = config_file


class Preflight(click.ClickException):
    """A run that cannot succeed as configured: one line, exit code 2 (as a usage error)."""

    exit_code = 2

    def format_message(self) -> str:
        return f"preflight: {self.message}"


def settings_from(ctx: click.Context, **overrides):
    from ..config import load_settings

    return load_settings(ctx.find_root().obj.get("config_file"), **overrides)
