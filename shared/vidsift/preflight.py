"""What ``vidsift run`` checks before it decodes anything: every op builds, every model loads, every
remote API answers and takes its key, the output directory can be written.

A stage's own checks live with the stage: the module that holds a stage's function (``pipeline``'s
stage table) may define ``check(recipe, settings)``, which raises with a one-line message that says
which op and what to do. The scorer's is the check ``vidsift worker score`` runs at start; the
captioner's loads a local model or sends one cheap request to the API.
"""

from __future__ import annotations

import os
from pathlib import Path

from .config import Settings
from .ops.base import STAGES
from .recipe import Recipe
from .stages import load, stage_spec


class PreflightError(Exception):
    """A run that cannot succeed: the message is one line naming the op or setting and the fix."""


def one_line(exc: BaseException | str, limit: int = 600) -> str:
    """The message on one line; a long one loses its middle (the op leads, the fix usually ends it)."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    if len(text) <= limit:
        return text
    head = limit // 3
    return text[:head] + " … " + text[-(limit - head - 3):]


def check_output_dir(out: str | os.PathLike) -> Path:
    """``out`` as a local directory this process can create and write, or PreflightError."""
    text = str(out)
    if "://" in text:
        raise PreflightError(f"--out {text}: vidsift run writes a local directory; for S3 run workers "
                             "(vidsift submit) and collect with vidsift export")
    path = Path(text).resolve()
    existing = path
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        what = "is a file" if existing == path else f"is under a file ({existing})"
        raise PreflightError(f"--out {text} {what}; choose a directory")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise PreflightError(f"--out {text}: cannot write in {existing} (permission denied); choose another --out")
    return path


def stage_check(stage: str):
    """The stage's ``check(recipe, settings)`` (StageSpec.check: load its models, reach its APIs), or None."""
    spec = stage_spec(stage)
    return load(spec.check) if spec.check else None


def preflight(recipe: Recipe, settings: Settings, out: str | os.PathLike) -> Path:
    """Raise PreflightError for the first thing that would make the run fail; return the output path."""
    path = check_output_dir(out)
    for stage in STAGES:
        try:
            recipe.build(stage)
        except Exception as exc:  # any op that cannot be built fails the run here
            raise PreflightError(f"{stage} ops: {one_line(exc)}") from exc
    for stage in STAGES:
        if not recipe.ops_for(stage):
            continue
        check = stage_check(stage)
        if check is None:
            continue
        try:
            check(recipe, settings)
        except PreflightError:
            raise
        except Exception as exc:  # the stage's message names the op and the fix
            raise PreflightError(one_line(exc)) from exc
    return path
