"""The stages, as the installed services declare them: the library names none of them.

Each service package declares one ``StageSpec`` and registers it under the entry-point group
``vidsift.stages`` (the root ``pyproject.toml``); its ops go under ``vidsift.ops``. The stage order,
the queues, the worker's choices and the embedded runner all come from what is installed, so a new
service is a new package with two entry-point sections and no edit here.

A spec's module must import cheaply (it is loaded to learn the stage order): its hooks are
"module:attribute" strings, imported only when called.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from functools import cache
from importlib.metadata import entry_points
from typing import Any, Literal

STAGE_GROUP = "vidsift.stages"
OP_GROUP = "vidsift.ops"


class StageError(RuntimeError):
    pass


@dataclass(frozen=True)
class StageSpec:
    """One stage, as its service declares it."""

    name: str  # the stage's name: queue vidsift.<name>, `vidsift worker <name>`, records' "stage"
    order: int  # place in the stage order (ascending); the lowest takes the sources
    run: str  # "module:function", (reference, StageContext) -> references to pass on
    # What a time limit or an unexpected error in this stage means: media decoding (decode_timeout,
    # internal_error) or a model / API (model_timeout, model_error).
    work: Literal["decode", "model"] = "decode"
    check: str | None = None  # "module:function", f(recipe, settings) before `vidsift run` decodes anything
    preflight: str | None = None  # "module:function", called as f(pool=...) when a worker starts
    run_options: str | None = None  # "module:RunOptions": `vidsift run` options that change the recipe
    summary: str | None = None  # "module:function", f(record lines) -> dict merged into summary.json

    def function(self) -> Any:
        return load(self.run)


def load(target: str) -> Any:
    """The object a "module:attribute" string names."""
    module, _, attr = target.partition(":")
    return getattr(importlib.import_module(module), attr)


def _entry_points(group: str) -> dict[str, str]:
    """name -> "module:attribute"; an editable install can list a distribution twice (same value)."""
    found: dict[str, str] = {}
    for ep in entry_points(group=group):
        if found.get(ep.name, ep.value) != ep.value:
            raise StageError(f"{group} entry point {ep.name!r} is registered twice ({found[ep.name]}, {ep.value})")
        found[ep.name] = ep.value
    return found


@cache
def stage_specs() -> dict[str, StageSpec]:
    """The installed stages, in order."""
    specs = []
    for name, target in _entry_points(STAGE_GROUP).items():
        spec = load(target)
        if not isinstance(spec, StageSpec) or spec.name != name:
            raise StageError(f"{STAGE_GROUP} entry point {name!r} ({target}) is not a StageSpec named {name!r}")
        specs.append(spec)
    if not specs:
        raise StageError("no vidsift stages are installed: install the package (pip install -e .) "
                         "or run a service image")
    return {s.name: s for s in sorted(specs, key=lambda s: (s.order, s.name))}


def stage_names() -> tuple[str, ...]:
    return tuple(stage_specs())


def stage_spec(name: str) -> StageSpec:
    try:
        return stage_specs()[name]
    except KeyError:
        raise StageError(f"unknown stage {name!r}; installed: {', '.join(stage_names())}") from None


def first_stage() -> str:
    """The stage that takes sources (the rest take clips)."""
    return stage_names()[0]


@cache
def op_targets() -> dict[str, str]:
    """Recipe op name -> "module:Class" of every installed op."""
    return _entry_points(OP_GROUP)
