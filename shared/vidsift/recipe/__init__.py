"""The recipe: data-juicer's YAML op list, validated once, frozen, and stored with the run.

A recipe is either a mapping with a ``process:`` list (data-juicer's config format; its other known
top-level keys are accepted and recorded) or a bare list of ops (the reference scheme's YAML blocks).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from ..ops.base import Filter, Mapper, Op, OpParams
from ..ops.registry import UnknownOp, op_class, op_names
from ..stages import first_stage

# data-juicer config keys that describe a run rather than an op; accepted so its configs load.
DJ_TOP_LEVEL = {
    "project_name", "dataset_path", "export_path", "np", "open_tracer", "trace_num", "use_cache",
    "cache_compress", "executor_type", "text_keys", "video_key", "image_key", "audio_key",
    "suffixes", "use_checkpoint", "temp_dir", "op_fusion", "save_stats_in_one_file", "export_shard_size",
}

PROFILES = ("local", "default")


class RecipeError(ValueError):
    """A recipe that cannot run: names the op (by position) and the parameter."""


@dataclass(frozen=True)
class OpSpec:
    name: str
    params: OpParams
    index: int

    @property
    def cls(self):
        return op_class(self.name)

    @property
    def stage(self) -> str:
        return self.cls.stage


@dataclass(frozen=True)
class Recipe:
    ops: tuple[OpSpec, ...]
    settings: tuple[tuple[str, Any], ...] = ()

    def to_dict(self) -> dict:
        """Canonical form: every op with every parameter resolved (defaults written out)."""
        out: dict[str, Any] = dict(self.settings)
        out["process"] = [{s.name: s.params.model_dump(mode="json")} for s in self.ops]
        return out

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))

    @cached_property
    def id(self) -> str:
        return hashlib.sha256(self.to_json().encode()).hexdigest()[:16]

    def ops_for(self, stage: str) -> tuple[OpSpec, ...]:
        return tuple(s for s in self.ops if s.stage == stage)

    def find(self, name: str) -> OpSpec | None:
        return next((s for s in self.ops if s.name == name), None)

    def build(self, stage: str) -> list[Op]:
        """Instantiate the stage's ops in recipe order (cached per process by the caller)."""
        return [s.cls(s.params) for s in self.ops_for(stage)]


def _format_errors(op: str, index: int, exc: ValidationError) -> str:
    parts = []
    for err in exc.errors(include_url=False):
        loc = ".".join(str(p) for p in err["loc"]) or "(op)"
        if err["type"] == "extra_forbidden":
            parts.append(f"unknown parameter {loc!r}")
        else:
            parts.append(f"parameter {loc!r}: {err['msg']} (got {err.get('input')!r})")
    return f"op #{index + 1} {op}: " + "; ".join(parts)


def parse_recipe(data: Any) -> Recipe:
    if isinstance(data, list):
        process, extra = data, {}
    elif isinstance(data, dict):
        extra = {k: v for k, v in data.items() if k != "process"}
        unknown = sorted(set(extra) - DJ_TOP_LEVEL)
        if unknown:
            raise RecipeError(f"unknown top-level recipe key(s) {unknown}; expected 'process:' and data-juicer run keys")
        process = data.get("process")
        if not isinstance(process, list):
            raise RecipeError("recipe needs a 'process:' list of ops")
    else:
        raise RecipeError("a recipe is a YAML mapping with 'process:' or a list of ops")
    specs = []
    for i, item in enumerate(process):
        if isinstance(item, str):
            item = {item: {}}
        if not isinstance(item, dict) or len(item) != 1:
            raise RecipeError(f"op #{i + 1}: each op is a one-key mapping 'op_name: {{params}}', got {item!r}")
        (name, params), = item.items()
        try:
            cls = op_class(name)
        except UnknownOp:
            raise RecipeError(f"op #{i + 1}: unknown op {name!r}; known ops: {', '.join(op_names())}") from None
        try:
            model = cls.Params.model_validate(params or {})
        except ValidationError as exc:
            raise RecipeError(_format_errors(name, i, exc)) from None
        specs.append(OpSpec(name, model, i))
    check_order(specs)
    return Recipe(tuple(specs), tuple(sorted(extra.items())))


def check_order(specs: list[OpSpec]) -> None:
    """Ops run grouped by stage, in the stage order; the first stage's mappers (the span makers:
    split by scene, by duration) must come before every filter."""
    seen_filter = False
    for s in specs:
        if s.stage == first_stage() and issubclass(s.cls, Mapper) and seen_filter:
            raise RecipeError(
                f"op #{s.index + 1} {s.name}: split mappers must come before filters "
                "(vidsift splits before filtering, as the reference scheme recommends)"
            )
        seen_filter |= issubclass(s.cls, Filter)


def load_recipe(source: str | Path | None = None) -> Recipe:
    """Load a recipe file, a YAML string, or a shipped profile name (default: 'local')."""
    source = source or "local"
    if isinstance(source, str) and source in PROFILES:
        text = resources.files(__package__).joinpath(f"profiles/{source}.yaml").read_text()
        origin = f"profile {source!r}"
    elif isinstance(source, Path) or ("\n" not in str(source) and Path(str(source)).exists()):
        text = Path(source).read_text()
        origin = str(source)
    else:
        text, origin = str(source), "recipe text"
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise RecipeError(f"{origin}: not valid YAML: {exc}") from None
    try:
        return parse_recipe(data)
    except RecipeError as exc:
        raise RecipeError(f"{origin}: {exc}") from None


def recipe_from_json(text: str) -> Recipe:
    return parse_recipe(json.loads(text))
