"""The services declare themselves (entry points); the library names none of them."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from vidsift import stages
from vidsift.ops import op_class, op_names
from vidsift.pipeline import QUEUES, next_stage, route, stage_function
from vidsift.refs import SourceRef

ROOT = Path(__file__).resolve().parents[1]
SERVICE_PACKAGES = sorted(p.name for p in (ROOT / "services").glob("*/vidsift_*") if p.is_dir())


def test_every_service_package_declares_a_stage_and_the_order_follows_the_specs():
    specs = stages.stage_specs()
    assert sorted(s.run.split(".")[0] for s in specs.values()) == SERVICE_PACKAGES
    orders = [s.order for s in specs.values()]
    assert orders == sorted(orders) and len(set(orders)) == len(orders)
    assert stages.first_stage() == next(iter(specs))
    names = stages.stage_names()
    for a, b in zip(names, names[1:]):
        assert next_stage(a) == b
    assert next_stage(names[-1]) is None
    assert route(names[-1], SourceRef(job="j", uri="file:///x.mp4", recipe_id="r")) == names[0]
    assert list(QUEUES) == list(names) and QUEUES[names[0]] == f"vidsift.{names[0]}"
    with pytest.raises(KeyError):
        QUEUES["no-such-stage"]


@pytest.mark.parametrize("name", stages.stage_names())
def test_each_spec_hook_names_something_callable(name):
    spec = stages.stage_spec(name)
    assert callable(stage_function(name))
    for hook in (spec.check, spec.preflight, spec.summary):
        if hook:
            assert callable(stages.load(hook))
    if spec.run_options:
        opts = stages.load(spec.run_options)
        assert callable(opts.decorate) and callable(opts.apply)


def test_every_op_runs_in_an_installed_stage():
    assert op_names()
    assert {op_class(n).stage for n in op_names()} <= set(stages.stage_names())


def test_unknown_stage_is_a_one_line_error():
    with pytest.raises(stages.StageError, match="unknown stage 'nope'; installed: split"):
        stages.stage_spec("nope")


def test_no_installed_stages_says_how_to_install(monkeypatch):
    monkeypatch.setattr(stages, "entry_points", lambda group: [])
    stages.stage_specs.cache_clear()
    try:
        with pytest.raises(stages.StageError, match="pip install -e"):
            stages.stage_specs()
    finally:
        stages.stage_specs.cache_clear()


def test_the_library_names_no_service():
    """shared/ never names a service package, not in code, strings or comments: the services plug in."""
    pattern = re.compile("|".join(re.escape(p) for p in SERVICE_PACKAGES) + r"|services/")
    hits = [f"{path.relative_to(ROOT)}:{i}: {line.strip()}"
            for path in sorted((ROOT / "shared").rglob("*"))
            if path.is_file() and path.suffix in (".py", ".j2", ".html", ".yaml", ".json")
            for i, line in enumerate(path.read_text().splitlines(), 1) if pattern.search(line)]
    assert not hits, "\n".join(hits)


def test_importing_a_service_package_first_works():
    """A service package imports the library while it is declared; the stage order loads lazily."""
    for pkg in SERVICE_PACKAGES:
        code = (f"import {pkg}.stage, vidsift.pipeline as p; "
                f"assert p.stage_function({pkg}.SPEC.name).__module__ == '{pkg}.stage'")
        subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


def test_every_noqa_says_why():
    """Lint exceptions are few and explained: `# noqa: CODE - reason`."""
    lines = subprocess.run(["git", "grep", "-nE", "#\\s*noqa", "--", "*.py"], cwd=ROOT, capture_output=True, text=True).stdout
    assert lines  # the grep works (the directives below are the repo's)
    bare = [line for line in lines.splitlines() if not re.search(r"#\s*noqa: [A-Z0-9, ]+ - \S", line)]
    assert not bare, "\n".join(bare)


def test_no_service_imports_another():
    """Services meet only through the library (references, storage): each could ship alone."""
    hits = []
    for pkg in SERVICE_PACKAGES:
        others = re.compile(r"^\s*(from|import)\s+(" + "|".join(p for p in SERVICE_PACKAGES if p != pkg) + r")\b")
        for path in sorted((ROOT / "services").glob(f"*/{pkg}/**/*.py")):
            hits += [f"{path.relative_to(ROOT)}:{i}" for i, line in enumerate(path.read_text().splitlines(), 1)
                     if others.match(line)]
    assert not hits, hits
