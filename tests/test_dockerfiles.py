"""The service images, checked by reading their Dockerfiles (no Docker engine is needed).

What matters: the right base and extras per stage, ffmpeg on the CPU images, a numeric non-root
user, and an exec-form `vidsift worker <stage>` entrypoint (PID 1 is vidsift itself, so SIGTERM
reaches Celery for a warm shutdown).
"""

from __future__ import annotations

import json
import re
import shlex
import tomllib
from pathlib import Path

import pytest
import yaml

from vidsift.pipeline import QUEUES

REPO = Path(__file__).resolve().parents[1]
SERVICE = {"split": "splitter", "score": "scorer", "resize": "resizer", "caption": "captioner"}
EXTRAS = {"split": {"splitter", "flower"}, "resize": {"resizer"}, "score": {"scorer", "hf"},
          "caption": {"captioner", "hf", "vlm"}}
GPU_STAGES = {"score", "caption"}


def instructions(path: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    out, pending = [], ""
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.startswith("#"):
            continue  # a comment inside a continued instruction
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line, pending = pending + line, ""
        word, _, args = line.partition(" ")
        out.append((word.upper(), args.strip()))
    return out


def final_stage(ins: list[tuple[str, str]]) -> list[tuple[str, str]]:
    last_from = max(i for i, (word, _) in enumerate(ins) if word == "FROM")
    return ins[last_from:]


def base_image(ins: list[tuple[str, str]]) -> str:
    args = dict(a.split("=", 1) for w, a in ins if w == "ARG" and "=" in a)
    ref = final_stage(ins)[0][1].split()[0]
    return re.sub(r"\$\{(\w+)\}", lambda m: args[m.group(1)], ref)


@pytest.fixture(params=sorted(SERVICE), ids=lambda s: SERVICE[s])
def stage(request):
    return request.param


@pytest.fixture
def dockerfile(stage):
    path = REPO / "services" / SERVICE[stage] / "Dockerfile"
    assert path.is_file(), path
    return instructions(path)


def test_every_pipeline_stage_has_an_image():
    assert set(SERVICE) == set(QUEUES)


def test_base_image_cpu_slim_or_cuda_pytorch(stage, dockerfile):
    image = base_image(dockerfile)
    if stage in GPU_STAGES:
        assert image.startswith("pytorch/pytorch:") and "cuda" in image and "runtime" in image
    else:
        assert image.startswith("python:3.") and "slim" in image


def test_ffmpeg_on_cpu_images_and_no_torch_there(stage, dockerfile):
    runs = " ".join(a for w, a in final_stage(dockerfile) if w == "RUN")
    if stage not in GPU_STAGES:
        assert re.search(r"apt-get install .*--no-install-recommends.* ffmpeg", runs)
        assert "torch" not in runs
    assert "rm -rf /var/lib/apt/lists" in runs or "apt-get" not in runs


def test_installs_the_stage_extras_from_the_built_wheel(stage, dockerfile):
    (install,) = [a for w, a in final_stage(dockerfile) if w == "RUN" and "pip install" in a]
    extras = re.search(r"vidsift-\*\.whl\)\[([a-z,]+)\]", install)
    assert extras, install
    assert set(extras.group(1).split(",")) == EXTRAS[stage]
    assert "--no-cache-dir" in install
    declared = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    assert EXTRAS[stage] <= set(declared["optional-dependencies"])
    assert "vidsift" in declared["scripts"]
    # The sources stay in the build stage: the final image copies nothing from the context.
    assert not [a for w, a in final_stage(dockerfile) if w in ("COPY", "ADD") and "--from" not in a]


def _requirements(extra: str) -> dict:
    from packaging.requirements import Requirement

    declared = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    return {r.name: r for r in map(Requirement, declared[extra])}


def test_transformers_is_bounded_above_and_torch_loads_bin_checkpoints():
    from packaging.version import Version

    hf = _requirements("hf")
    # transformers 5.x cannot run MiniCPM-V 2.6's remote code: an upper bound, below 5
    spec = hf["transformers"].specifier
    assert any(s.operator in ("<", "<=", "==", "~=") for s in spec)
    assert Version("5.0.0") not in spec and Version("4.57.6") in spec
    # transformers refuses torch.load of .bin checkpoints below torch 2.6
    assert Version("2.5.1") not in hf["torch"].specifier and Version("2.6.0") in hf["torch"].specifier


def test_gpu_base_image_torch_satisfies_the_hf_extra(stage, dockerfile):
    if stage not in GPU_STAGES:
        return
    from packaging.version import Version

    tag = base_image(dockerfile).split(":", 1)[1]  # pytorch/pytorch:<torch>-cuda…
    torch_version = Version(tag.split("-", 1)[0])
    assert torch_version in _requirements("hf")["torch"].specifier, tag


def test_runs_as_a_numeric_non_root_user(dockerfile):
    users = [a for w, a in final_stage(dockerfile) if w == "USER"]
    assert users, "no USER: the image would run as root"
    uid, _, gid = users[-1].partition(":")
    assert uid.isdigit() and int(uid) > 0
    assert not gid or (gid.isdigit() and int(gid) > 0)


def test_exec_form_entrypoint_runs_the_stage_worker(stage, dockerfile):
    entry = [a for w, a in dockerfile if w == "ENTRYPOINT"]
    assert len(entry) == 1
    assert entry[0].startswith("["), "shell form would put /bin/sh at PID 1 and swallow SIGTERM"
    assert json.loads(entry[0]) == ["vidsift", "worker", stage]
    assert not [a for w, a in dockerfile if w == "CMD"]
    text = " ".join(a for _, a in dockerfile)
    # An init that signals the whole process group would kill Celery's children mid-task.
    assert not re.search(r"\b(tini|dumb-init)\b", text)


def test_chart_uses_these_images_with_the_same_command(stage):
    values = yaml.safe_load((REPO / "helm" / "vidsift" / "values.yaml").read_text())
    assert values["stages"][stage]["image"]["name"] == f"vidsift-{SERVICE[stage]}"
    assert values["metrics"]["port"] == 9100
    ins = instructions(REPO / "services" / SERVICE[stage] / "Dockerfile")
    env = " ".join(a for w, a in ins if w == "ENV")
    assert "VIDSIFT_METRICS_PORT=9100" in env and "VIDSIFT_SCRATCH_DIR=/scratch" in env
    assert ("EXPOSE", "9100") in ins


def test_dockerignore_sends_only_what_the_images_copy():
    rules = [r.strip() for r in (REPO / ".dockerignore").read_text().splitlines()
             if r.strip() and not r.startswith("#")]
    assert rules[0] == "*"  # everything out, then the few sources back in
    included = {r[1:] for r in rules if r.startswith("!")}
    assert included == {"pyproject.toml", "shared/vidsift", "services/*/vidsift_*"}
    for service in SERVICE.values():
        for w, a in instructions(REPO / "services" / service / "Dockerfile"):
            if w == "COPY" and "--from" not in a:
                src = shlex.split(a)[0]
                assert any(inc == src or inc.startswith(src + "/") for inc in included), src
    assert {"**/__pycache__", "**/*.pyc"} <= set(rules)
