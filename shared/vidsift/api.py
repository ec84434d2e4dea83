"""The Python API: ``vidsift.run``, ``vidsift.submit`` and ``vidsift.export``.

Each is the command of the same name, called in this process (``main.main(argv, standalone_mode=False)``):
the same options, checks, outputs and exit codes, with no second implementation to drift from the CLI.
What the command would print to stdout is returned as a value instead (the command returns it;
click ignores a command's return value on the command line); what it would say on stderr
(progress, the one-line hints) still goes to stderr. An error the command words itself (a usage or
preflight error, a failed export) is a ``VidsiftError`` with the command's ``exit_code``; any other
exception propagates with its traceback, as with ``vidsift --debug``.

    import vidsift

    summary = vidsift.run(["videos/", "urls.csv"], out="out", recipe="local", caption_col="caption")
    vidsift.submit(["s3://bucket/raw/"], job="batch-001", recipe="default")
    vidsift.export("batch-001", out="shards/", format="webdataset", shard_size="1GB")

``recipe`` is a profile name (``local``, ``default``), a recipe file, YAML text, a ``Recipe`` or the
recipe as a dict/list (data-juicer's YAML structure). Settings come from the environment
(``VIDSIFT_*``) or ``config=`` a YAML file of the same keys, as for the command.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
from pathlib import Path
from typing import Any, Iterable, Sequence

__all__ = ["VidsiftError", "RunFailed", "run", "submit", "export"]


class VidsiftError(RuntimeError):
    """A command's own error: the one line it prints, and the exit code it would exit with."""

    def __init__(self, message: str, exit_code: int = 1):
        super().__init__(message)
        self.exit_code = exit_code


class RunFailed(VidsiftError):
    """``run`` finished, but exits 1 (a failure that is not the input's, or ``strict``): ``summary`` holds
    the counts, OUT the manifest of whatever succeeded."""

    def __init__(self, message: str, exit_code: int, summary: dict):
        super().__init__(message, exit_code)
        self.summary = summary


def run(inputs: str | os.PathLike | Iterable[str | os.PathLike], out: str | os.PathLike, *, recipe: Any = "local",
        workers: int = 1, resume: bool = False, retry_failed: bool = False, strict: bool = False,
        url_col: str = "url", caption_col: str | None = None, save_cols: Sequence[str] = (),
        metrics_port: int | None = None, progress: bool = False, args: Sequence[str] = (),
        config: str | os.PathLike | None = None) -> dict:
    """``vidsift run INPUTS --out OUT``; returns OUT/summary.json. ``args``: more command-line options
    (e.g. the captioner's ``--caption-backend``)."""
    argv = ["run", *_paths(inputs), "--out", str(out), "--recipe", _recipe(recipe), "--workers", str(workers),
            *_table(url_col, caption_col, save_cols), *(["--resume"] if resume else []),
            *(["--retry-failed"] if retry_failed else []), *(["--strict"] if strict else []),
            *(["--metrics-port", str(metrics_port)] if metrics_port is not None else []),
            *([] if progress else ["--no-progress"]), *args]
    code = _invoke(argv, config)  # run always ends in ctx.exit(code)
    summary = json.loads((Path(out) / "summary.json").read_text())
    if code:
        raise RunFailed(f"vidsift run exited {code}: failures {summary['failures']}; reasons in "
                        f"{Path(out) / 'rejected.jsonl'}", code, summary)
    return summary


def submit(uris: str | os.PathLike | Iterable[str | os.PathLike], *, job: str, recipe: Any = "default",
           url_col: str = "url", caption_col: str | None = None, save_cols: Sequence[str] = (),
           config: str | os.PathLike | None = None) -> dict:
    """``vidsift submit URIS --job JOB``: stores the job's recipe and publishes one ingest message per
    video. Returns ``{"job", "recipe_id", "submitted"}``."""
    return _invoke(["submit", *_paths(uris), "--job", job, "--recipe", _recipe(recipe),
                    *_table(url_col, caption_col, save_cols)], config)


def export(job_or_dir: str | os.PathLike, out: str | os.PathLike, *, format: str | None = None,  # noqa: A002 - the CLI's name
           recipe: Any = None, shard_size: str | int = 1000, target: str | None = None,
           config: str | os.PathLike | None = None) -> dict:
    """``vidsift export JOB|DIR --out OUT``: a manifest (jsonl, parquet) or WebDataset shards (``format=
    "webdataset"``, OUT a directory). Returns the export's summary (for shards, with ``shards``)."""
    argv = ["export", str(job_or_dir), "--out", str(out), *(["--format", format] if format else []),
            *(["--recipe", _recipe(recipe)] if recipe is not None else [])]
    if format == "webdataset":
        argv += ["--shard-size", str(shard_size), *(["--target", target] if target else [])]
    return _invoke(argv, config)


def _invoke(argv: list[str], config) -> Any:
    """The command's return value (its result; ``run``'s exit code), its stdout dropped."""
    import click

    from .cli import main

    full = ["--debug", *(["--config", str(config)] if config else []), *argv]
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            code = main.main(full, prog_name="vidsift", standalone_mode=False)
    except click.ClickException as exc:
        raise VidsiftError(exc.format_message(), exc.exit_code) from None
    except click.Abort:
        raise KeyboardInterrupt from None
    return code


def _paths(items) -> list[str]:
    if isinstance(items, (str, os.PathLike)):
        return [str(items)]
    out = [str(i) for i in items]
    if not out:
        raise VidsiftError("no inputs given", 2)
    return out


def _table(url_col: str, caption_col: str | None, save_cols: Sequence[str] | str) -> list[str]:
    cols = save_cols if isinstance(save_cols, str) else ",".join(save_cols)
    return ["--url-col", url_col, *(["--caption-col", caption_col] if caption_col else []),
            *(["--save-cols", cols] if cols else [])]


def _recipe(recipe: Any) -> str:
    """What ``--recipe`` takes: a profile name, a file, or YAML text (which a Recipe or a dict becomes)."""
    import yaml

    from .recipe import Recipe

    if isinstance(recipe, Recipe):
        recipe = recipe.to_dict()
    if isinstance(recipe, (dict, list)):
        return yaml.safe_dump(recipe, sort_keys=False)
    return str(recipe)
