"""Render helm/vidsift with the real Helm engine (helm-python-sdk; no helm binary, no cluster)."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

helm = pytest.importorskip("helm_python", reason="pip install -e '.[test]' (helm-python-sdk)")

CHART = Path(__file__).resolve().parents[2] / "helm" / "vidsift"
RELEASE, NAMESPACE = "demo", "media"

CUSTOM_RECIPE = """\
process:
  - video_split_by_scene_mapper: {threshold: 30.0}
  - video_duration_filter: {min_duration: 1, max_duration: 3}
  - video_aesthetics_filter: {min_score: 0.5}
"""

# The value sets the issue names, plus the toggles that remove whole resource kinds.
VALUE_SETS: dict[str, dict] = {
    "defaults": {},
    "keda-off": {"keda": {"enabled": False}},
    "cpu-only": {"stages": {"score": {"gpu": 0}, "caption": {"gpu": 0}}, "vllm": {"enabled": False},
                 "modelCache": {"enabled": False}},
    "models-offline": {"modelCache": {"existingClaim": "hf-cache", "offline": True}},
    "existing-secrets": {
        "rabbitmq": {"existingSecret": "prod-mq",
                     "secretKeys": {"brokerUrl": "amqp-uri", "managementUrl": "http-uri"}},
        "s3": {"existingSecret": "prod-s3", "endpointUrl": "https://s3.example.net",
               "region": "eu-west-1",
               "secretKeys": {"accessKeyId": "key-id", "secretAccessKey": "key-secret"}},
    },
    "bundled": {
        "rabbitmq": {"bundled": {"enabled": True}},
        "s3": {"bundled": {"enabled": True}},
        "ingest": {"enabled": True, "uriList": "s3://vidsift/lists/batch-001.txt", "job": "Batch_001"},
    },
    "fixed-replicas": {"workerDefaults": {"autoscaling": {"enabled": False}, "replicas": 3}},
    "monitoring-off": {"monitoring": {"podMonitor": {"enabled": False},
                                      "prometheusRule": {"enabled": False}}},
    "queue-exporter": {"monitoring": {"queueExporter": {"enabled": True}}},
    "two-stages": {"stages": {"resize": {"enabled": False}, "caption": {"enabled": False}}},
    # Operations: Flower, an inline recipe, workload identity, the dashboard in Grafana's namespace.
    "operations": {
        "flower": {"enabled": True, "basicAuth": {"existingSecret": "flower-auth"}},
        "customRecipe": {"inline": CUSTOM_RECIPE},
        "serviceAccount": {"annotations": {"iam.gke.io/gcp-service-account": "vidsift@p.iam.gserviceaccount.com"}},
        "grafana": {"dashboard": {"namespace": "monitoring", "annotations": {"grafana_folder": "vidsift"}}},
        "ingest": {"enabled": True, "uriList": "s3://vidsift/lists/batch-001.txt", "job": "b1"},
    },
    "recipe-configmap": {
        "customRecipe": {"existingConfigMap": "my-recipe", "key": "vidsift.yaml"},
        "serviceAccount": {"create": False, "name": "vidsift-irsa"},
        "grafana": {"dashboard": {"enabled": False}},
        "recipeCheck": {"enabled": True},
    },
}


class Rendered:
    """The manifests of one render, queryable by kind and name."""

    def __init__(self, values: dict, files: dict[str, str]):
        self.values = values
        self.files = files
        self.docs: list[dict] = []
        for path, text in files.items():
            if path.endswith(".txt"):
                continue
            for doc in yaml.safe_load_all(text):
                if doc:
                    doc.setdefault("metadata", {}).setdefault("annotations", {})
                    self.docs.append(doc)

    @property
    def notes(self) -> str:
        return next((t for p, t in self.files.items() if p.endswith("NOTES.txt")), "")

    def kind(self, kind: str) -> list[dict]:
        return [d for d in self.docs if d["kind"] == kind]

    def get(self, kind: str, name: str) -> dict:
        (found,) = [d for d in self.kind(kind) if d["metadata"]["name"] == name]
        return found

    def workers(self) -> dict[str, dict]:
        """Worker Deployments by stage (trial services, the queue exporter, vLLM and Flower are not workers)."""
        out = {}
        for d in self.kind("Deployment"):
            component = d["metadata"]["labels"]["app.kubernetes.io/component"]
            if component not in ("rabbitmq", "s3", "queue-exporter", "vllm", "flower"):
                out[component] = d
        return out


def merged(values: dict) -> dict:
    with helm.Chart.load(CHART) as chart:
        return chart.merge_values(copy.deepcopy(values))


def render(values: dict) -> Rendered:
    with helm.Chart.load(CHART) as chart:
        files = chart.render(copy.deepcopy(values), name=RELEASE, namespace=NAMESPACE,
                             is_install=True)
    return Rendered(merged(values), files)


@pytest.fixture(scope="session")
def rendered() -> dict[str, Rendered]:
    return {name: render(values) for name, values in VALUE_SETS.items()}


@pytest.fixture(params=sorted(VALUE_SETS))
def each(request, rendered) -> Rendered:
    return rendered[request.param]
