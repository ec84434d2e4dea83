"""End to end: a real Prometheus scrapes a real `vidsift worker` and RabbitMQ's prometheus plugin,
evaluates the chart-rendered rules (short `for:`), and its HTTP API shows the alerts; the Grafana
dashboard's queries run against the same data.

The broker work happens in a vhost of its own (tests/alerts/broker.py), scraped alone through the
plugin's ``vhost`` parameter, so other tests' queues on the shared broker cannot fire anything here.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time

import pytest
import requests
import yaml

from tests.alerts.broker import PROMETHEUS_PORT, broker_url, fill, temp_vhost
from tests.alerts.rules import chart_alert_values, render_rules
from tests.infra import REPO, env_with, free_port, vidsift_exe, wait_for

pytestmark = pytest.mark.integration
SHORT = {"stalled": {"for": "3s"}, "workerDown": {"for": "2s"}}


@pytest.fixture
def vhost():
    with temp_vhost("e2e") as vhost:
        yield vhost


def start_worker(stage: str, vhost: str, tmp_path, port: int) -> subprocess.Popen:
    log = open(tmp_path / f"worker-{stage}.log", "wb")
    proc = subprocess.Popen(
        [vidsift_exe(), "worker", stage, "--concurrency", "2"], stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True,
        env=env_with(VIDSIFT_BROKER_URL=broker_url(vhost), VIDSIFT_STORAGE_URL=f"file://{tmp_path}/data",
                     VIDSIFT_METRICS_PORT=str(port), PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "metrics")))

    def serving() -> bool:
        if proc.poll() is not None:
            raise RuntimeError(f"worker exited: {(tmp_path / f'worker-{stage}.log').read_text()[-3000:]}")
        try:
            return "vidsift_worker_info" in requests.get(f"http://127.0.0.1:{port}/metrics", timeout=1).text
        except requests.ConnectionError:
            return False

    wait_for(serving, 60, f"the {stage} worker's metrics on :{port}")
    return proc


def start_prometheus(tmp_path, rules, vhost: str, worker_port: int) -> tuple[subprocess.Popen, str]:
    exe = shutil.which("prometheus")
    if not exe:
        raise RuntimeError("prometheus is not installed: run ./scripts/setup.sh --test (Debian prometheus)")
    config = tmp_path / "prometheus.yml"
    config.write_text(yaml.safe_dump({
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "rule_files": [str(rules)],
        "scrape_configs": [
            {"job_name": "rabbitmq", "metrics_path": "/metrics/detailed",
             "params": {"vhost": [vhost], "family": ["queue_coarse_metrics", "queue_consumer_count"]},
             "static_configs": [{"targets": [f"127.0.0.1:{PROMETHEUS_PORT}"]}]},
            {"job_name": "vidsift-worker", "static_configs": [{"targets": [f"127.0.0.1:{worker_port}"]}]},
        ],
    }))
    port = free_port()
    proc = subprocess.Popen(
        [exe, f"--config.file={config}", f"--storage.tsdb.path={tmp_path / 'tsdb'}",
         f"--web.listen-address=127.0.0.1:{port}", "--log.level=warn"],
        stdout=open(tmp_path / "prometheus.log", "wb"), stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"

    def ready() -> bool:
        if proc.poll() is not None:
            raise RuntimeError(f"prometheus exited: {(tmp_path / 'prometheus.log').read_text()[-3000:]}")
        try:
            return requests.get(f"{url}/-/ready", timeout=1).status_code == 200
        except requests.ConnectionError:
            return False

    wait_for(ready, 60, "prometheus to be ready")
    return proc, url


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)


def alert_states(url: str, name: str, **labels) -> list[str]:
    alerts = requests.get(f"{url}/api/v1/alerts", timeout=5).json()["data"]["alerts"]
    return [a["state"] for a in alerts if a["labels"].get("alertname") == name
            and all(a["labels"].get(k) == v for k, v in labels.items())]


def query(url: str, promql: str) -> list[dict]:
    return requests.get(f"{url}/api/v1/query", params={"query": promql}, timeout=5).json()["data"]["result"]


def watch(url: str, name: str, timeout: float, **labels) -> list[str]:
    """Every state the alert passed through until it fired (pending is short: poll often)."""
    seen: list[str] = []
    deadline = time.time() + timeout
    while time.time() < deadline:
        for state in alert_states(url, name, **labels):
            if not seen or seen[-1] != state:
                seen.append(state)
        if "firing" in seen:
            return seen
        time.sleep(0.2)
    raise AssertionError(f"{name} {labels} did not fire within {timeout}s (states seen: {seen})")


def check_dashboard_queries(url: str, vhost: str) -> None:
    """Every query of the Grafana dashboard parses and runs (Grafana's variables filled in)."""
    dashboard = json.loads((REPO / "helm" / "vidsift" / "files" / "dashboard.json").read_text())
    exprs = [t["expr"] for p in dashboard["panels"] for t in p["targets"]]
    assert len(exprs) >= 10
    for expr in exprs:
        promql = expr.replace("$__rate_interval", "1m").replace("$__range", "5m").replace("$stage", ".*")
        resp = requests.get(f"{url}/api/v1/query", params={"query": promql}, timeout=5)
        assert resp.status_code == 200 and resp.json()["status"] == "success", (expr, resp.text)
    backlog = query(url, exprs[0].replace("$stage", ".*"))
    assert {(r["metric"]["vhost"], r["metric"]["stage"]) for r in backlog} >= {(vhost, "caption")}


def test_stalled_queue_and_dead_worker_fire_through_prometheus(vhost, tmp_path):
    rules = render_rules(tmp_path / "rules.yaml", {**chart_alert_values(), **SHORT})
    worker_port = free_port()
    worker = start_worker("split", vhost, tmp_path, worker_port)
    prometheus = None
    try:
        fill(vhost, "vidsift.caption", 5)  # no caption worker: a backlog nobody consumes
        prometheus, url = start_prometheus(tmp_path, rules, vhost, worker_port)

        caption = {"vhost": vhost, "queue": "vidsift.caption", "stage": "caption"}
        assert watch(url, "VidsiftStageStalled", 60, **caption) == ["pending", "firing"]
        # what Prometheus saw: the plugin's queue numbers and the worker's own series
        ready = query(url, f'vidsift:queue_messages_ready{{vhost="{vhost}",stage="caption"}}')
        assert [float(r["value"][1]) for r in ready] == [5.0]
        consumers = query(url, f'vidsift:queue_consumers{{vhost="{vhost}",stage="split"}}')
        assert [float(r["value"][1]) for r in consumers] == [1.0]
        info = query(url, 'vidsift_worker_info{job="vidsift-worker"}')
        assert [r["metric"]["stage"] for r in info] == ["split"]
        # the split queue is empty and consumed: not stalled
        assert alert_states(url, "VidsiftStageStalled", vhost=vhost, stage="split") == []
        assert alert_states(url, "VidsiftWorkerDown") == []

        check_dashboard_queries(url, vhost)

        stop(worker)  # the whole process group: the Celery parent and its pool
        assert watch(url, "VidsiftWorkerDown", 60, stage="split", job="vidsift-worker") == ["pending", "firing"]
        # an empty queue without consumers is not a stall
        assert alert_states(url, "VidsiftStageStalled", vhost=vhost, stage="split") == []
    finally:
        stop(worker)
        if prometheus:
            stop(prometheus)
