"""The chart, rendered by the real Helm engine for several value sets, queried for what matters."""

from __future__ import annotations

import base64
import json
import re

import click
import pytest
from kubernetes_validate import utils as kv

from vidsift.cli import main
from vidsift.pipeline import QUEUES

from .conftest import CHART, NAMESPACE, RELEASE, VALUE_SETS, helm, render

GPU = "nvidia.com/gpu"
# Custom resources have no schema in kubernetes-validate; their fields are asserted below instead.
CUSTOM_KINDS = {"keda.sh/v1alpha1": {"ScaledObject", "TriggerAuthentication"},
                "monitoring.coreos.com/v1": {"PodMonitor", "PrometheusRule"}}
OLDEST_KUBE = "1.27"  # Chart.yaml kubeVersion
SECRET_ENV = {"VIDSIFT_BROKER_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
              "RABBITMQ_DEFAULT_USER", "RABBITMQ_DEFAULT_PASS", "MINIO_ROOT_USER",
              "MINIO_ROOT_PASSWORD"}


def pod_specs(r):
    """(owner, pod spec) of every Deployment, Job and hook Pod."""
    for d in r.kind("Deployment") + r.kind("Job"):
        yield d, d["spec"]["template"]["spec"]
    for p in r.kind("Pod"):
        yield p, p["spec"]


def containers(r):
    for owner, spec in pod_specs(r):
        for c in spec.get("initContainers", []) + spec["containers"]:
            yield owner, spec, c


def custom_recipe(r) -> bool:
    return bool(r.values["customRecipe"]["inline"] or r.values["customRecipe"]["existingConfigMap"])


def stage_limits(worker: dict) -> tuple[int, int]:
    env = {e["name"]: e.get("value") for e in worker["spec"]["template"]["spec"]["containers"][0]["env"]}
    return int(env["VIDSIFT_TASK_SOFT_TIME_LIMIT"]), int(env["VIDSIFT_TASK_TIME_LIMIT"])


def parse_cli(argv: list[str]) -> click.Context:
    """Parse a container's command line with the real `vidsift` CLI (without running it)."""
    assert argv[0] == "vidsift"
    with main.make_context("vidsift", [], resilient_parsing=True) as root:
        command = main.get_command(root, argv[1])
        return command.make_context(argv[1], list(argv[2:]), parent=root)


# --- the chart as a whole ---------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(VALUE_SETS))
def test_lint_is_clean(name):
    report = helm.lint(CHART, VALUE_SETS[name], strict=True, namespace=NAMESPACE)
    assert report["errors"] == [], report["errors"]
    assert [m for m in report["messages"] if m["severity"] >= 2] == []


def test_every_manifest_validates_against_kubernetes_schemas(each):
    assert each.docs
    for doc in each.docs:
        kinds = CUSTOM_KINDS.get(doc["apiVersion"])
        if kinds is not None:
            assert doc["kind"] in kinds, doc["kind"]
            continue
        for version in (OLDEST_KUBE, kv.latest_version()):
            kv.validate(doc, version, strict=True)  # strict: unknown fields are errors too


def test_standard_labels_and_unique_names(each):
    seen = set()
    for doc in each.docs:
        labels = doc["metadata"]["labels"]
        assert labels["app.kubernetes.io/name"] == "vidsift"
        assert labels["app.kubernetes.io/instance"] == RELEASE
        assert labels["app.kubernetes.io/managed-by"] == "Helm"
        key = (doc["kind"], doc["metadata"]["name"])
        assert key not in seen, key
        seen.add(key)


# --- workers ----------------------------------------------------------------------------------

def test_one_worker_per_enabled_stage_running_its_own_stage(each):
    stages = each.values["stages"]
    enabled = {s for s in stages if stages[s].get("enabled", each.values["workerDefaults"]["enabled"])}
    workers = each.workers()
    assert set(workers) == enabled
    assert enabled <= set(QUEUES)
    for stage, d in workers.items():
        (c,) = d["spec"]["template"]["spec"]["containers"]
        assert c["command"] == ["vidsift", "worker", stage]
        params = parse_cli(c["command"] + c.get("args", [])).params
        assert params["stage"] == stage
        merged = {**each.values["workerDefaults"], **each.values["stages"][stage]}
        assert params["concurrency"] == merged["concurrency"]
        assert params["pool"] == merged["pool"]
        assert d["metadata"]["name"] == f"{RELEASE}-vidsift-{stage}"
        ports = {p["name"]: p["containerPort"] for p in c["ports"]}
        assert ports == {"metrics": 9100}
        env = {e["name"]: e for e in c["env"]}
        assert set(env) >= {"VIDSIFT_BROKER_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"}


def test_gpu_stages_batch_in_threads_and_the_scorer_checks_the_recipe_models(rendered):
    workers = rendered["defaults"].workers()
    for stage, d in workers.items():
        (c,) = d["spec"]["template"]["spec"]["containers"]
        params = parse_cli(c["command"] + c["args"]).params
        assert params["pool"] == ("threads" if stage in ("score", "caption") else "prefork"), stage
        if stage in ("score", "caption"):  # clips in flight per pod: what a GPU batch can gather
            assert params["concurrency"] >= 8, stage
        env = {e["name"]: e.get("value") for e in c["env"]}
        assert env.get("VIDSIFT_SCORER_RECIPE") == ("default" if stage == "score" else None), stage
        assert env.get("VIDSIFT_CAPTIONER_RECIPE") == ("default" if stage == "caption" else None), stage


def test_gpu_requests_only_on_gpu_stages(rendered):
    for name, r in rendered.items():
        # the captioner calls the vLLM server (which holds the GPU) unless that is turned off
        gpu_stages = set() if name == "cpu-only" else {"score"} & set(r.workers())
        for stage, d in r.workers().items():
            spec = d["spec"]["template"]["spec"]
            limits = spec["containers"][0]["resources"].get("limits", {})
            assert (GPU in limits) == (stage in gpu_stages), (name, stage)
            terms = spec["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
            (expr,) = terms["nodeSelectorTerms"][0]["matchExpressions"]
            tolerated = {t["key"] for t in spec.get("tolerations", [])}
            if stage in gpu_stages:
                assert limits[GPU] == 1
                assert expr["operator"] == "In" and GPU in tolerated
            else:
                assert expr["operator"] == "DoesNotExist" and GPU not in tolerated
        # Jobs and hook pods never hold a GPU either.
        for owner, _, c in containers(r):
            if owner["kind"] != "Deployment":
                assert GPU not in c.get("resources", {}).get("limits", {})


def test_grace_period_outlasts_the_hard_time_limit(each):
    for stage, d in each.workers().items():
        soft, hard = stage_limits(d)
        assert soft < hard
        assert d["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] >= hard


def test_pods_are_non_root_with_read_only_root_and_bounded_scratch(each):
    for owner, spec, c in containers(each):
        assert spec["securityContext"]["runAsNonRoot"] is True, owner["metadata"]["name"]
        sc = c["securityContext"]
        assert sc["allowPrivilegeEscalation"] is False
        assert sc["capabilities"]["drop"] == ["ALL"]
        if owner["metadata"]["labels"]["app.kubernetes.io/component"] == "rabbitmq":
            continue  # the trial broker's image writes its config at start
        assert sc["readOnlyRootFilesystem"] is True
        for v in spec.get("volumes", []):
            if not {"persistentVolumeClaim", "configMap"} & set(v):  # the model cache, the recipe
                assert v["emptyDir"]["sizeLimit"]
    cache = each.values["modelCache"]
    for stage, d in each.workers().items():
        spec = d["spec"]["template"]["spec"]
        mounts = {m["mountPath"] for m in spec["containers"][0]["volumeMounts"]}
        models = cache["enabled"] and stage in cache["stages"]
        recipe = {"/etc/vidsift/recipe"} if custom_recipe(each) else set()
        assert mounts == ({"/scratch", cache["mountPath"]} if models else {"/scratch"}) | recipe, stage
        assert {"startupProbe", "livenessProbe", "readinessProbe"} <= set(spec["containers"][0])


def test_disruption_budget_per_stage_selects_its_pods(each):
    pdbs = {p["metadata"]["name"]: p for p in each.kind("PodDisruptionBudget")}
    for stage, d in each.workers().items():
        pdb = pdbs.pop(d["metadata"]["name"])
        selector = pdb["spec"]["selector"]["matchLabels"]
        assert selector == d["spec"]["selector"]["matchLabels"]
        assert selector.items() <= d["spec"]["template"]["metadata"]["labels"].items()
        assert selector["app.kubernetes.io/component"] == stage
    assert pdbs == {}


# --- the model cache and the vLLM server --------------------------------------------------------

def _env(container: dict) -> dict:
    return {e["name"]: e.get("value") for e in container.get("env", [])}


def test_model_pods_share_the_model_cache_claim_at_hf_home(rendered):
    for name in ("defaults", "models-offline"):
        r = rendered[name]
        claim = "hf-cache" if name == "models-offline" else f"{RELEASE}-vidsift-models"
        pvcs = r.kind("PersistentVolumeClaim")
        if name == "models-offline":  # an existing claim: the chart creates none
            assert pvcs == []
        else:
            (pvc,) = pvcs
            assert pvc["metadata"]["name"] == claim and pvc["spec"]["resources"]["requests"]["storage"] == "100Gi"
            assert pvc["spec"]["accessModes"] == ["ReadWriteMany"]
            assert pvc["metadata"]["annotations"]["helm.sh/resource-policy"] == "keep"  # weights outlive a release
        model_pods = {**{s: d for s, d in r.workers().items() if s in ("score", "caption")},
                      "vllm": r.get("Deployment", f"{RELEASE}-vidsift-vllm")}
        for stage, d in model_pods.items():
            spec = d["spec"]["template"]["spec"]
            (c,) = spec["containers"]
            volumes = {v["name"]: v for v in spec["volumes"]}
            (mount,) = [m for m in c["volumeMounts"] if m["mountPath"] == "/models"]
            assert volumes[mount["name"]]["persistentVolumeClaim"]["claimName"] == claim, (name, stage)
            assert _env(c)["HF_HOME"] == "/models"
            assert _env(c).get("HF_HUB_OFFLINE") == ("1" if name == "models-offline" else None), (name, stage)
        for stage in ("split", "resize"):  # no models: no cache, the ConfigMap's HF_HOME on scratch
            (c,) = r.workers()[stage]["spec"]["template"]["spec"]["containers"]
            assert "HF_HOME" not in _env(c) and "HF_HUB_OFFLINE" not in _env(c)
    off = rendered["cpu-only"]
    assert off.kind("PersistentVolumeClaim") == []
    assert all(v.get("emptyDir") for d in off.workers().values() for v in d["spec"]["template"]["spec"]["volumes"])


def test_captioner_calls_the_vllm_server_serving_the_default_recipes_model(rendered):
    from vidsift.recipe import load_recipe

    r = rendered["defaults"]
    vllm = r.get("Deployment", f"{RELEASE}-vidsift-vllm")
    spec = vllm["spec"]["template"]["spec"]
    (c,) = spec["containers"]
    caption_op = load_recipe(r.values["recipe"]).find("video_captioning_mapper").params
    assert (caption_op.backend, caption_op.base_url) == ("openai", None)  # the worker says where
    assert c["image"].startswith("vllm/vllm-openai:") and c["command"] == ["vllm", "serve"]
    assert c["args"][0] == caption_op.model == "openbmb/MiniCPM-V-2_6"
    assert "--trust-remote-code" in c["args"] and f"--served-model-name={caption_op.model}" in c["args"]
    limit = next(a for a in c["args"] if a.startswith("--limit-mm-per-prompt="))
    assert json.loads(limit.split("=", 1)[1])["image"] >= caption_op.frame_num
    assert c["resources"]["limits"][GPU] == 1
    assert GPU in {t["key"] for t in spec["tolerations"]}  # on the GPU pool
    assert c["readinessProbe"]["httpGet"]["path"] == "/health"
    assert {m["mountPath"] for m in c["volumeMounts"]} >= {"/dev/shm", "/tmp"}
    service = r.get("Service", f"{RELEASE}-vidsift-vllm")
    assert service["spec"]["selector"].items() <= vllm["spec"]["template"]["metadata"]["labels"].items()
    (port,) = service["spec"]["ports"]
    (caption,) = r.workers()["caption"]["spec"]["template"]["spec"]["containers"]
    url = _env(caption)["VIDSIFT_CAPTION_BASE_URL"]
    assert url == f"http://{service['metadata']['name']}:{port['port']}/v1"
    assert port["targetPort"] == "http" and {p["name"] for p in c["ports"]} == {"http"}
    for stage, d in r.workers().items():  # only the captioner is pointed at it
        if stage != "caption":
            assert "VIDSIFT_CAPTION_BASE_URL" not in _env(d["spec"]["template"]["spec"]["containers"][0])
    off = rendered["cpu-only"]
    assert not [d for d in off.docs if d["metadata"]["labels"].get("app.kubernetes.io/component") == "vllm"]
    (caption,) = off.workers()["caption"]["spec"]["template"]["spec"]["containers"]
    assert "VIDSIFT_CAPTION_BASE_URL" not in _env(caption)


# --- autoscaling ------------------------------------------------------------------------------

def test_one_scaled_object_per_stage_on_its_own_queue(rendered):
    for name in ("defaults", "cpu-only", "existing-secrets", "bundled", "two-stages"):
        r = rendered[name]
        workers = r.workers()
        objs = r.kind("ScaledObject")
        assert len(objs) == len(workers), name
        by_target = {so["spec"]["scaleTargetRef"]["name"]: so for so in objs}
        (auth,) = r.kind("TriggerAuthentication")
        for stage, d in workers.items():
            so = by_target[d["metadata"]["name"]]
            (trigger,) = so["spec"]["triggers"]
            assert trigger["type"] == "rabbitmq"
            meta = trigger["metadata"]
            assert meta["queueName"] == QUEUES[stage]
            assert meta["protocol"] == "http" and meta["mode"] == "QueueLength"
            assert int(meta["value"]) >= 1
            assert "host" not in meta  # the URL carries credentials: only via the Secret
            assert trigger["authenticationRef"]["name"] == auth["metadata"]["name"]
            _, hard = stage_limits(d)
            assert so["spec"]["cooldownPeriod"] > hard
            behavior = so["spec"]["advanced"]["horizontalPodAutoscalerConfig"]["behavior"]
            assert behavior["scaleDown"]["stabilizationWindowSeconds"] > hard
            gpu = GPU in d["spec"]["template"]["spec"]["containers"][0]["resources"].get("limits", {})
            if gpu:
                assert so["spec"]["minReplicaCount"] == 0
        (ref,) = auth["spec"]["secretTargetRef"]
        assert ref["parameter"] == "host"
        assert ref["key"] == r.values["rabbitmq"]["secretKeys"]["managementUrl"]
        assert r.kind("HorizontalPodAutoscaler") == []


def test_autoscaled_deployments_omit_replicas(rendered):
    for name, r in rendered.items():
        for stage, d in r.workers().items():
            autoscaled = name != "fixed-replicas"
            assert ("replicas" in d["spec"]) != autoscaled, (name, stage)
    fixed = rendered["fixed-replicas"]
    assert {d["spec"]["replicas"] for d in fixed.workers().values()} == {3}
    assert fixed.kind("ScaledObject") == fixed.kind("HorizontalPodAutoscaler") == []


def test_plain_hpa_when_keda_is_off(rendered):
    r = rendered["keda-off"]
    assert [d for d in r.docs if d["apiVersion"].startswith("keda.sh/")] == []
    hpas = {h["spec"]["scaleTargetRef"]["name"]: h for h in r.kind("HorizontalPodAutoscaler")}
    for stage, d in r.workers().items():
        hpa = hpas.pop(d["metadata"]["name"])
        assert hpa["spec"]["scaleTargetRef"]["kind"] == "Deployment"
        assert hpa["spec"]["minReplicas"] >= 1  # an HPA cannot scale to zero
        _, hard = stage_limits(d)
        assert hpa["spec"]["behavior"]["scaleDown"]["stabilizationWindowSeconds"] > hard
    assert hpas == {}


# --- credentials ------------------------------------------------------------------------------

def test_no_credential_is_inlined(rendered):
    for name, r in rendered.items():
        secrets = r.kind("Secret")
        if not name == "bundled":
            assert secrets == [], name  # external services: the chart holds no credential
        decoded = [base64.b64decode(v).decode() for s in secrets for v in s.get("data", {}).values()]
        others = json.dumps([d for d in r.docs if d["kind"] != "Secret"]) + r.notes
        for value in decoded:
            if len(value) >= 16:  # generated passwords and the URLs that embed them
                assert value not in others, name
        assert not re.search(r"(amqps?|https?)://[^/\s\"$]+:[^@\s\"$]+@", others), name
        for _, _, c in containers(r):
            for e in c.get("env", []):
                if e["name"] in SECRET_ENV:
                    assert "value" not in e and "secretKeyRef" in e["valueFrom"], (name, e)


def test_existing_secrets_are_referenced_by_their_keys(rendered):
    r = rendered["existing-secrets"]
    refs = {(e["valueFrom"]["secretKeyRef"]["name"], e["valueFrom"]["secretKeyRef"]["key"])
            for _, _, c in containers(r) for e in c.get("env", []) if "valueFrom" in e}
    assert refs == {("prod-mq", "amqp-uri"), ("prod-s3", "key-id"), ("prod-s3", "key-secret")}
    (auth,) = r.kind("TriggerAuthentication")
    assert auth["spec"]["secretTargetRef"][0] | {} == {"parameter": "host", "name": "prod-mq",
                                                       "key": "http-uri"}
    cm = r.get("ConfigMap", f"{RELEASE}-vidsift")["data"]
    assert cm["VIDSIFT_S3_ENDPOINT_URL"] == "https://s3.example.net"
    assert cm["VIDSIFT_S3_REGION"] == "eu-west-1"
    assert cm["VIDSIFT_STORAGE_URL"] == "s3://vidsift/data"


def test_bundled_trial_services_wire_up(rendered):
    r = rendered["bundled"]
    assert {d["metadata"]["labels"]["app.kubernetes.io/component"] for d in r.kind("Deployment")} \
        == set(QUEUES) | {"rabbitmq", "s3", "vllm"}
    mq = r.get("Secret", f"{RELEASE}-vidsift-rabbitmq")["data"]
    password = base64.b64decode(mq["password"]).decode()
    broker = base64.b64decode(mq["broker-url"]).decode()
    management = base64.b64decode(mq["management-url"]).decode()
    assert broker == f"amqp://vidsift:{password}@{RELEASE}-vidsift-rabbitmq:5672//"
    assert management == f"http://vidsift:{password}@{RELEASE}-vidsift-rabbitmq:15672/"
    ports = {p["port"] for p in r.get("Service", f"{RELEASE}-vidsift-rabbitmq")["spec"]["ports"]}
    assert ports == {5672, 15672}
    cm = r.get("ConfigMap", f"{RELEASE}-vidsift")["data"]
    assert cm["VIDSIFT_S3_ENDPOINT_URL"] == f"http://{RELEASE}-vidsift-s3:9000"
    bucket = r.get("Job", f"{RELEASE}-vidsift-s3-bucket")["spec"]["template"]["spec"]["containers"][0]
    assert bucket["command"][-1] == "local/vidsift"
    for _, _, c in containers(r):
        for e in c.get("env", []):
            if "valueFrom" in e and "secretKeyRef" in e["valueFrom"]:
                assert e["valueFrom"]["secretKeyRef"]["name"] in {
                    f"{RELEASE}-vidsift-rabbitmq", f"{RELEASE}-vidsift-s3"}


def test_generated_passwords_differ_per_render():
    a, b = (render(VALUE_SETS["bundled"]).get("Secret", f"{RELEASE}-vidsift-s3") for _ in "ab")
    assert a["data"] != b["data"]  # randomly generated, never a well-known default


# --- ingest, helm test, monitoring ------------------------------------------------------------

def test_ingest_job_submits_the_uri_list(rendered):
    r = rendered["bundled"]
    job = r.get("Job", f"{RELEASE}-vidsift-ingest-batch-001")
    assert "ttlSecondsAfterFinished" not in job["spec"]  # kept, so an upgrade does not resubmit
    c = job["spec"]["template"]["spec"]["containers"][0]
    env = {e["name"]: e.get("value") for e in c["env"]}
    assert env["JOB"] == "Batch_001"
    assert env["URI_LIST"] == "s3://vidsift/lists/batch-001.txt"
    assert env["RECIPE"] == "default"
    assert 'vidsift submit "@/scratch/uris.txt" --job "$JOB" --recipe "$RECIPE"' in c["command"][-1]
    params = parse_cli(["vidsift", "submit", "@/scratch/uris.txt", "--job", "j", "--recipe", "default"]).params
    assert params["uris"] == ("@/scratch/uris.txt",)
    for name in ("defaults", "keda-off"):
        assert not any("ingest" in j["metadata"]["name"] for j in rendered[name].kind("Job"))


def test_helm_test_hook_submits_a_sample_and_waits_for_its_manifest_line(each):
    (pod,) = each.kind("Pod")
    assert pod["metadata"]["annotations"]["helm.sh/hook"] == "test"
    assert pod["spec"]["restartPolicy"] == "Never"
    c = pod["spec"]["containers"][0]
    script = c["command"][-1]
    assert script.index("vidsift submit") < script.index("vidsift export")
    assert 'vidsift export "$JOB" --out /scratch/manifest.jsonl' in script
    assert parse_cli(["vidsift", "export", "j", "--out", "/scratch/manifest.jsonl"]).params["job"] == "j"
    env = {e["name"]: e.get("value") for e in c["env"]}
    assert env["SAMPLE_URI"].startswith(("https://", "s3://"))
    assert env["RECIPE"] == ("/etc/vidsift/recipe/recipe.yaml" if custom_recipe(each) else "default")
    assert pod["spec"]["activeDeadlineSeconds"] > int(env["TIMEOUT"])


def test_queue_series_for_the_alerts_come_from_exactly_one_source(rendered):
    """The alert rules sum rabbitmq_detailed_queue_* series: the exporter or the trial broker's
    plugin is scraped, never both (sums would double)."""
    def sources(r):
        (pm,) = r.kind("PodMonitor")
        (expr,) = pm["spec"]["selector"]["matchExpressions"]
        endpoints = {e["port"]: e for e in pm["spec"]["podMetricsEndpoints"]}
        out = set()
        if "queue-exporter" in expr["values"]:
            exporter = r.get("Deployment", f"{RELEASE}-vidsift-queue-exporter")
            (c,) = exporter["spec"]["template"]["spec"]["containers"]
            assert c["command"][:3] == ["python", "-m", "vidsift.queue_exporter"]
            assert {p["name"] for p in c["ports"]} == {"metrics"}
            assert [e["name"] for e in c["env"]] == ["VIDSIFT_BROKER_URL"]
            assert "secretKeyRef" in c["env"][0]["valueFrom"]
            out.add("exporter")
        if "rabbitmq" in expr["values"]:
            assert endpoints["prometheus"]["path"] == "/metrics/detailed"
            out.add("plugin")
        return out

    assert sources(rendered["defaults"]) == set()  # your Prometheus scrapes your RabbitMQ
    assert sources(rendered["queue-exporter"]) == {"exporter"}
    assert sources(rendered["bundled"]) == {"plugin"}
    both = render({"rabbitmq": {"bundled": {"enabled": True}},
                   "s3": {"bundled": {"enabled": True}},
                   "monitoring": {"queueExporter": {"enabled": True}}})
    assert sources(both) == {"exporter"}


def test_custom_resources_do_not_depend_on_the_rendering_cluster():
    """A cluster without the KEDA or Prometheus Operator CRDs must fail at install, loudly:
    no template may drop an object because .Capabilities lacks its API."""
    for path in (CHART / "templates").rglob("*"):
        if path.is_file():
            assert ".Capabilities.APIVersions" not in path.read_text(), path.name


def test_monitoring_toggles(rendered):
    for name, r in rendered.items():
        on = name != "monitoring-off"
        assert len(r.kind("PodMonitor")) == len(r.kind("PrometheusRule")) == int(on), name
    r = rendered["defaults"]
    (pm,) = r.kind("PodMonitor")
    assert [e["port"] for e in pm["spec"]["podMetricsEndpoints"]] == ["metrics"]
    for d in r.workers().values():
        labels = d["spec"]["template"]["metadata"]["labels"]
        assert pm["spec"]["selector"]["matchLabels"].items() <= labels.items()
        (expr,) = pm["spec"]["selector"]["matchExpressions"]
        assert labels[expr["key"]] in expr["values"]


def test_prometheus_rule_comes_from_the_alerts_file_with_values_applied():
    r = render({"alerts": {"backlogHigh": {"threshold": 4321, "for": "17m"},
                           "workerDown": {"for": "7m"}}})
    (rule,) = r.kind("PrometheusRule")
    rules = [x for g in rule["spec"]["groups"] for x in g["rules"]]
    assert rules and all("expr" in x and ("alert" in x or "record" in x) for x in rules)
    assert any("4321" in str(x["expr"]) and x.get("for") == "17m" for x in rules)
    assert any(x.get("for") == "7m" for x in rules)
    assert "{{" not in json.dumps(rule) or "$labels" in json.dumps(rule)  # Helm left nothing unrendered


# --- values that must be refused -----------------------------------------------------------------

def test_extra_env_may_reference_secrets():
    r = render({"stages": {"caption": {"env": [
        {"name": "OPENAI_API_KEY", "valueFrom": {"secretKeyRef": {"name": "llm", "key": "api-key"}}}]}}})
    env = {e["name"]: e for e in r.workers()["caption"]["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert env["OPENAI_API_KEY"]["valueFrom"]["secretKeyRef"] == {"name": "llm", "key": "api-key"}
    split_env = r.workers()["split"]["spec"]["template"]["spec"]["containers"][0]["env"]
    assert "OPENAI_API_KEY" not in {e["name"] for e in split_env}  # per stage, not global


@pytest.mark.parametrize("values, message", [
    ({"stages": {"transcode": {}}}, "transcode"),
    ({"stages": {"split": {"softTimeLimit": 600, "hardTimeLimit": 600}}}, "softTimeLimit"),
    ({"config": {"AWS_SECRET_ACCESS_KEY": "inline"}}, "AWS_SECRET_ACCESS_KEY"),
    ({"stages": {"score": {"env": [{"name": "AWS_SECRET_ACCESS_KEY", "value": "inline"}]}}}, "/env/0"),
    ({"s3": {"url": "file:///data"}}, "url"),
    ({"ingest": {"enabled": True, "job": "b1"}}, "ingest.uriList"),
    ({"ingest": {"enabled": True, "uriList": "s3://b/l.txt"}}, "ingest.job"),
    ({"rabbitmq": {"existingSecret": ""}}, "rabbitmq.existingSecret"),
    ({"alerts": {"failureRate": {"threshold": 5, "for": "15m"}}}, "threshold"),
    ({"modelCache": {"accessModes": ["ReadWriteSometimes"]}}, "accessModes"),
    ({"vllm": {"gpuMemoryUtilization": 1.5}}, "gpuMemoryUtilization"),
])
def test_bad_values_are_refused(values, message):
    with pytest.raises(helm.HelmError, match=re.escape(message)):
        render(values)


def test_packaged_chart_renders_the_same(tmp_path):
    """What `helm package` ships (after .helmignore) renders exactly like the source tree."""
    archive = helm.package(CHART, destination=tmp_path)
    with helm.Chart.load(archive) as packaged, helm.Chart.load(CHART) as source:
        values = VALUE_SETS["bundled"]
        a = packaged.render(values, name=RELEASE, namespace=NAMESPACE)
        b = source.render(values, name=RELEASE, namespace=NAMESPACE)
    assert a.keys() == b.keys()
    random_secret = "secret.yaml"  # generated passwords differ between renders
    assert {k: v for k, v in a.items() if not k.endswith(random_secret)} == \
        {k: v for k, v in b.items() if not k.endswith(random_secret)}


# --- scratch ------------------------------------------------------------------------------------

def test_each_worker_bounds_its_read_cache_below_its_scratch_volume(rendered, monkeypatch):
    from vidsift.config import load_settings

    units = {"Gi": 1 << 30, "Mi": 1 << 20, "G": 10**9, "M": 10**6}

    def size(q: str) -> float:
        unit = next((u for u in units if q.endswith(u)), "")
        return float(q[: len(q) - len(unit)]) * units.get(unit, 1)

    for stage, d in rendered["defaults"].workers().items():
        spec = d["spec"]["template"]["spec"]
        (c,) = spec["containers"]
        # The worker reads it as the integer setting it is (not 8.589934592e+09).
        monkeypatch.setenv("VIDSIFT_SCRATCH_MAX_BYTES", _env(c)["VIDSIFT_SCRATCH_MAX_BYTES"])
        budget = load_settings().scratch_max_bytes
        volume = next(v for v in spec["volumes"] if v["name"] == "scratch")
        assert 0 < budget < size(str(volume["emptyDir"]["sizeLimit"])), stage
