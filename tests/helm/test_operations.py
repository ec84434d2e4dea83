"""Operations in the chart (issue 16): the Grafana dashboard ConfigMap, Flower, the ServiceAccount and a
custom recipe checked by a pre-install/pre-upgrade hook with vidsift's own loader."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from vidsift.recipe import load_recipe

from .conftest import CHART, CUSTOM_RECIPE, RELEASE, helm, render
from .test_chart import containers, parse_cli, pod_specs

RECIPE_PATH = "/etc/vidsift/recipe/recipe.yaml"


def hook(r) -> dict:
    (job,) = [j for j in r.kind("Job") if j["metadata"]["labels"]["app.kubernetes.io/component"] == "recipe-check"]
    return job


def env_of(c: dict) -> dict:
    return {e["name"]: e for e in c.get("env", [])}


# --- Grafana ----------------------------------------------------------------------------------

def test_dashboard_configmap_for_grafanas_sidecar(rendered):
    (cm,) = [c for c in rendered["defaults"].kind("ConfigMap") if c["metadata"]["name"] == f"{RELEASE}-vidsift-dashboard"]
    assert cm["metadata"]["labels"]["grafana_dashboard"] == "1"
    assert "namespace" not in cm["metadata"]  # the release's
    (text,) = cm["data"].values()
    assert json.loads(text) == json.loads((CHART / "files" / "dashboard.json").read_text())
    ops = rendered["operations"].get("ConfigMap", f"{RELEASE}-vidsift-dashboard")
    assert ops["metadata"]["namespace"] == "monitoring"
    assert ops["metadata"]["annotations"] == {"grafana_folder": "vidsift"}
    assert not [c for c in rendered["recipe-configmap"].kind("ConfigMap") if "dashboard" in c["metadata"]["name"]]
    custom = render({"grafana": {"dashboard": {"label": "dashboards", "labelValue": "vidsift"}}})
    labels = custom.get("ConfigMap", f"{RELEASE}-vidsift-dashboard")["metadata"]["labels"]
    assert labels["dashboards"] == "vidsift" and "grafana_dashboard" not in labels


# --- Flower -----------------------------------------------------------------------------------

def _flower(r) -> tuple[list, list]:
    pick = lambda kind: [d for d in r.kind(kind) if d["metadata"]["labels"]["app.kubernetes.io/component"] == "flower"]
    return pick("Deployment"), pick("Service")


def test_flower_only_when_enabled_and_workers_send_task_events_then(rendered, each):
    deployments, services = _flower(each)
    on = each.values["flower"]["enabled"]
    assert len(deployments) == len(services) == int(on)
    for stage, d in each.workers().items():
        (c,) = d["spec"]["template"]["spec"]["containers"]
        params = parse_cli(c["command"] + c["args"]).params
        assert params["celery_args"] == (("-E",) if on else ()), stage
    assert not any(_flower(rendered[name])[0] for name in ("defaults", "bundled", "recipe-configmap"))


def test_flower_runs_celery_flower_on_the_workers_app(rendered):
    r = rendered["operations"]
    (d,), (svc,) = _flower(r)
    spec = d["spec"]["template"]["spec"]
    (c,) = spec["containers"]
    assert c["command"] == ["celery", "-A", "vidsift.celery_app:app", "flower"]
    assert "--port=5555" in c["args"]
    assert c["image"].startswith("ghcr.io/vidsift/vidsift-splitter:")
    env = env_of(c)
    assert env["VIDSIFT_BROKER_URL"]["valueFrom"]["secretKeyRef"]["name"] == "vidsift-rabbitmq"
    assert env["FLOWER_BASIC_AUTH"]["valueFrom"]["secretKeyRef"] == {"name": "flower-auth", "key": "auth"}
    assert c["envFrom"] == [{"configMapRef": {"name": f"{RELEASE}-vidsift"}}]
    assert {p["name"]: p["containerPort"] for p in c["ports"]} == {"http": 5555}
    assert c["readinessProbe"]["httpGet"] == {"path": "/healthcheck", "port": "http"}
    pod_labels = d["spec"]["template"]["metadata"]["labels"]
    assert svc["spec"]["selector"].items() <= pod_labels.items()
    assert d["spec"]["selector"]["matchLabels"] == svc["spec"]["selector"]
    assert svc["spec"]["ports"] == [{"name": "http", "port": 5555, "targetPort": "http"}]
    assert svc["spec"]["type"] == "ClusterIP"
    from celery import Celery

    import vidsift.celery_app as module  # what `celery -A` imports (connects to nothing)
    assert isinstance(module.app, Celery)


# --- ServiceAccount ---------------------------------------------------------------------------

def test_every_pod_runs_as_the_release_service_account(each):
    sa = each.values["serviceAccount"]
    accounts = each.kind("ServiceAccount")
    if sa["create"]:
        (account,) = accounts
        name = account["metadata"]["name"]
        assert name == f"{RELEASE}-vidsift"
        assert account["automountServiceAccountToken"] is False
        assert account["metadata"]["annotations"] == sa["annotations"]
    else:
        assert accounts == []
        name = sa["name"]
    seen = 0
    for owner, spec in pod_specs(each):
        assert spec["automountServiceAccountToken"] is False, owner["metadata"]["name"]
        if owner["metadata"]["labels"]["app.kubernetes.io/component"] == "recipe-check" and sa["create"]:
            # A pre-install hook runs before the chart's ServiceAccount exists; it reads only the recipe.
            assert "serviceAccountName" not in spec
            continue
        assert spec["serviceAccountName"] == name, owner["metadata"]["name"]
        seen += 1
    assert seen >= len(each.workers())


def test_workload_identity_annotations_reach_the_service_account(rendered):
    (account,) = rendered["operations"].kind("ServiceAccount")
    assert account["metadata"]["annotations"] == {"iam.gke.io/gcp-service-account": "vidsift@p.iam.gserviceaccount.com"}
    assert hook(rendered["recipe-configmap"])["spec"]["template"]["spec"]["serviceAccountName"] == "vidsift-irsa"


# --- the recipe -------------------------------------------------------------------------------

def test_an_inline_recipe_reaches_the_workers_ingest_and_helm_test(rendered):
    r = rendered["operations"]
    cm = r.get("ConfigMap", f"{RELEASE}-vidsift-recipe")
    assert cm["data"] == {"recipe.yaml": CUSTOM_RECIPE}
    load_recipe(cm["data"]["recipe.yaml"])  # what the scorer's preflight and submit will load
    for owner, spec, c in containers(r):
        component = owner["metadata"]["labels"]["app.kubernetes.io/component"]
        if component not in set(r.workers()) | {"ingest", "test"}:
            continue
        (volume,) = [v for v in spec["volumes"] if v["name"] == "recipe"]
        assert volume["configMap"] == {"name": f"{RELEASE}-vidsift-recipe",
                                       "items": [{"key": "recipe.yaml", "path": "recipe.yaml"}]}
        assert {"name": "recipe", "mountPath": "/etc/vidsift/recipe", "readOnly": True} in c["volumeMounts"]
        env = env_of(c)
        preflight = {"score": "VIDSIFT_SCORER_RECIPE", "caption": "VIDSIFT_CAPTIONER_RECIPE"}.get(component)
        if preflight:  # the stages that load a recipe's models at start
            assert env[preflight]["value"] == RECIPE_PATH
        if component in ("ingest", "test"):
            assert env["RECIPE"]["value"] == RECIPE_PATH
    assert r.get("Job", f"{RELEASE}-vidsift-ingest-b1")  # was among the checked


def test_an_existing_configmap_recipe_is_mounted_by_its_key(rendered):
    r = rendered["recipe-configmap"]
    assert not [c for c in r.kind("ConfigMap") if c["metadata"]["name"].endswith("-recipe")]  # yours
    for stage, d in r.workers().items():
        spec = d["spec"]["template"]["spec"]
        (volume,) = [v for v in spec["volumes"] if v["name"] == "recipe"]
        assert volume["configMap"] == {"name": "my-recipe", "items": [{"key": "vidsift.yaml", "path": "recipe.yaml"}]}
    score = env_of(r.workers()["score"]["spec"]["template"]["spec"]["containers"][0])
    assert score["VIDSIFT_SCORER_RECIPE"]["value"] == RECIPE_PATH


def test_a_new_inline_recipe_rolls_the_workers(rendered):
    def checksum(r):
        return r.workers()["score"]["spec"]["template"]["metadata"]["annotations"]["checksum/config"]
    other = render({"customRecipe": {"inline": CUSTOM_RECIPE.replace("30.0", "25.0")}})
    assert checksum(other) != checksum(rendered["operations"])


def _run_hook(job: dict, tmp_path: Path, recipe_file: str | None = None) -> subprocess.CompletedProcess:
    """The hook container's own command, here, with this checkout's `vidsift` (and the mounted file
    at a temporary path in place of /etc/vidsift/recipe)."""
    (c,) = job["spec"]["template"]["spec"]["containers"]
    command = [a.replace(RECIPE_PATH, recipe_file) if recipe_file else a for a in c["command"]]
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    env.update({e["name"]: e["value"] for e in c.get("env", [])})
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=120, cwd=tmp_path)


def test_hook_checks_the_recipe_before_install_and_upgrade(rendered, tmp_path):
    for name in ("defaults", "operations", "recipe-configmap"):
        job = hook(rendered[name])
        annotations = job["metadata"]["annotations"]
        assert annotations["helm.sh/hook"] == "pre-install,pre-upgrade"
        assert "before-hook-creation" in annotations["helm.sh/hook-delete-policy"]
        assert job["spec"]["backoffLimit"] == 0
        assert job["spec"]["template"]["spec"]["restartPolicy"] == "Never"
    assert _run_hook(hook(rendered["defaults"]), tmp_path).stdout.startswith(f"recipe {load_recipe('default').id}:")
    ok = _run_hook(hook(rendered["operations"]), tmp_path)
    assert ok.returncode == 0 and ok.stdout.startswith(f"recipe {load_recipe(CUSTOM_RECIPE).id}:"), ok.stderr
    mounted = tmp_path / "recipe.yaml"
    mounted.write_text(CUSTOM_RECIPE)
    job = hook(rendered["recipe-configmap"])
    spec = job["spec"]["template"]["spec"]
    assert {"name": "recipe", "configMap": {"name": "my-recipe", "items": [{"key": "vidsift.yaml", "path": "recipe.yaml"}]}} in spec["volumes"]
    assert _run_hook(job, tmp_path, str(mounted)).returncode == 0


@pytest.mark.parametrize("bad", [
    "process:\n  - video_duration_filter: {min_duration: soon}\n",
    "process:\n  - video_teleport_filter: {}\n",
    "process: [unclosed\n",
])
def test_hook_fails_on_a_bad_recipe(tmp_path, bad):
    proc = _run_hook(hook(render({"customRecipe": {"inline": bad}})), tmp_path)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr and proc.stderr.startswith("Error: recipe text:")


def test_hook_fails_on_a_misspelt_profile(tmp_path):
    proc = _run_hook(hook(render({"recipe": "defualt"})), tmp_path)
    assert proc.returncode == 2 and "did you mean 'default'?" in proc.stderr


def test_recipe_check_can_be_turned_off():
    assert not [j for j in render({"recipeCheck": {"enabled": False}}).kind("Job")
                if "recipe-check" in j["metadata"]["name"]]


@pytest.mark.parametrize("values, message", [
    ({"customRecipe": {"inline": CUSTOM_RECIPE, "existingConfigMap": "mine"}}, "not both"),
    ({"flower": {"service": {"type": "Ingress"}}}, "type"),
    ({"serviceAccount": {"annotations": {"a": 1}}}, "annotations"),
])
def test_bad_operation_values_are_refused(values, message):
    with pytest.raises(helm.HelmError, match=message):
        render(values)
