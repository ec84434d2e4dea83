"""The ``vidsift`` command. One module per subcommand; each registers itself on ``main``."""

from __future__ import annotations

import difflib
import importlib
import logging

import click

from ..version import __version__

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
    "recipe": "vidsift.cli.recipe:recipe",
}


class LazyGroup(click.Group):
    def list_commands(self, ctx):
        return sorted(COMMANDS)

    def invoke(self, ctx):
        """Any error a command did not word itself becomes one line (the traceback only with --debug
        or VIDSIFT_DEBUG=1): a data engineer needs what failed and where, not 65 lines of kombu."""
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort, KeyboardInterrupt, SystemExit):
            raise
        except Exception as exc:
            if debugging(ctx):
                raise
            raise click.ClickException(describe(exc, (ctx.obj or {}).get("settings"))
                                       + " (--debug for the traceback)") from None

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
@click.option("--debug", is_flag=True, envvar="VIDSIFT_DEBUG",
              help="Show the traceback of an unexpected error (or VIDSIFT_DEBUG=1).")
@click.pass_context
def main(ctx: click.Context, config_file: str | None, verbose: int, debug: bool) -> None:
    """vidsift: turn raw web video into a text-to-video training set."""
    logging.basicConfig(
        level=[logging.WARNING, logging.INFO, logging.DEBUG][min(verbose, 2)],
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    ctx.ensure_object(dict)
    ctx.obj["config_file"] = config_file
    ctx.obj["debug"] = debug


def debugging(ctx: click.Context) -> bool:
    return bool((ctx.find_root().obj or {}).get("debug"))


class SetupError(click.ClickException):
    """The command cannot start as configured (a setting, the broker, the output): exit code 2, as a
    usage error, so a script can tell it from a run that started and failed (1)."""

    exit_code = 2


def describe(exc: BaseException, settings=None) -> str:
    """One line for an unexpected error; broker and storage errors name their URL, never credentials."""
    from ..preflight import one_line

    text = f"{type(exc).__name__}: {one_line(exc)}"
    try:
        from kombu.exceptions import OperationalError
    except ImportError:  # pragma: no cover - kombu comes with celery
        OperationalError = ()  # noqa: N806 - stands in for the class of that name
    if isinstance(exc, OperationalError) and settings is not None:
        return f"cannot reach the broker at {broker_shown(settings)} (VIDSIFT_BROKER_URL): {one_line(exc)}"
    from ..storage import StorageError

    if isinstance(exc, StorageError) and settings is not None:
        where = f" (VIDSIFT_S3_ENDPOINT_URL={settings.s3_endpoint_url})" if settings.s3_endpoint_url else ""
        return f"object store error under {settings.storage_url}{where}: {one_line(exc)}"
    return text


def broker_shown(settings) -> str:
    from kombu.utils.url import maybe_sanitize_url

    return maybe_sanitize_url(settings.broker_url)


def require_broker(settings, timeout_s: float = 5.0) -> None:
    """Connect to the broker once, now, or stop with one line naming it (before anything is written)."""
    from kombu import Connection

    try:
        with Connection(settings.broker_url, connect_timeout=timeout_s) as conn:
            conn.ensure_connection(max_retries=1, interval_start=0.5, timeout=timeout_s)
    except Exception as exc:  # noqa: BLE001 - whatever the transport raises, the fix is the same
        from ..preflight import one_line

        raise SetupError(f"cannot reach the broker at {broker_shown(settings)} (VIDSIFT_BROKER_URL): "
                         f"{one_line(exc)}; start it or fix the URL") from None


class Preflight(SetupError):
    """A run that cannot succeed as configured: one line, exit code 2 (as a usage error)."""

    def format_message(self) -> str:
        return f"preflight: {self.message}"


def settings_from(ctx: click.Context, **overrides):
    from ..config import SettingsError, load_settings

    obj = ctx.find_root().obj
    try:
        settings = load_settings(obj.get("config_file"), **overrides)
    except SettingsError as exc:
        raise SetupError(str(exc)) from None
    obj["settings"] = settings  # for describe(): which broker or store an error came from
    return settings


def recipe_option(value: str):
    """``--recipe``: a shipped profile name or a recipe file (inline YAML text too), loaded and
    validated; otherwise a one-line error (exit 2) with the profiles and the nearest name."""
    from pathlib import Path

    from ..recipe import PROFILES, RecipeError, load_recipe

    if value not in PROFILES and "\n" not in value and not Path(value).is_file():
        path = Path(value)
        if path.is_dir():
            raise SetupError(f"--recipe {value}: is a directory; give a recipe file or a profile "
                             f"({', '.join(PROFILES)})")
        folder = path.parent if str(path.parent) else Path(".")
        nearby = [str(folder / p.name) if str(path.parent) != "." else p.name
                  for p in (folder.glob("*.y*ml") if folder.is_dir() else [])]
        close = difflib.get_close_matches(value, list(PROFILES) + nearby, n=1, cutoff=0.6)
        hint = f" — did you mean {close[0]!r}?" if close else ""
        raise SetupError(f"--recipe: no profile or file {value!r} (profiles: {', '.join(PROFILES)}){hint}")
    try:
        return load_recipe(value)
    except RecipeError as exc:
        raise SetupError(f"--recipe {exc}") from None


def table_options(command):
    """``--url-col`` / ``--caption-col`` / ``--save-cols``: how a URL table INPUT is read (video2dataset's
    url_col, caption_col, save_additional_columns)."""
    for option in reversed((
        click.option("--url-col", default="url", show_default=True,
                     help="In a table INPUT (.csv .tsv .parquet .jsonl): the column of video URLs or paths."),
        click.option("--caption-col", default=None,
                     help="In a table INPUT: the column of captions (each clip's meta.caption, and its text "
                          "unless the recipe captions)."),
        click.option("--save-cols", default="",
                     help="In a table INPUT: comma-separated columns kept in each clip's meta."),
    )):
        command = option(command)
    return command


def collect_inputs(inputs, settings, url_col: str = "url", caption_col: str | None = None, save_cols: str = ""):
    """INPUT arguments -> ``vidsift.inputs.Input`` list; an unreadable table is a usage error (exit 2)."""
    from ..inputs import InputError, TableColumns
    from ..inputs import collect_inputs as collect

    try:
        columns = TableColumns(url_col, caption_col, tuple(c.strip() for c in save_cols.split(",") if c.strip()))
        return collect(list(inputs), settings, columns)
    except (InputError, OSError, UnicodeDecodeError) as exc:
        raise click.UsageError(str(exc)) from None
