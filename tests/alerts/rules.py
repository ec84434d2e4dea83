"""Render helm/vidsift/files/alerts.yaml the way the chart does, with the real Helm engine.

A throw-away chart whose only template is ``tpl (.Files.Get "files/alerts.yaml") .`` — the same
call the vidsift chart makes for its PrometheusRule — so Helm's escaping of Prometheus' own
``{{ ... }}`` is exercised for real, whatever else the chart does.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml

from tests.infra import REPO

ALERTS_FILE = REPO / "helm" / "vidsift" / "files" / "alerts.yaml"
CHART_VALUES = REPO / "helm" / "vidsift" / "values.yaml"
ALERTS = ("VidsiftStageBacklogHigh", "VidsiftStageBacklogGrowing", "VidsiftStageStalled",
          "VidsiftDeadLetters", "VidsiftHighFailureRate", "VidsiftWorkerDown")


def promtool() -> str:
    exe = shutil.which("promtool")
    if not exe:
        raise RuntimeError("promtool is not installed: run ./scripts/setup.sh --test (Debian prometheus)")
    return exe


def render_rules(dest: Path, alerts: dict) -> Path:
    """Write the rule file rendered with ``.Values.alerts = alerts`` to ``dest``; return it."""
    import helm_python as helm

    chart = dest.parent / f"{dest.stem}-chart"
    (chart / "templates").mkdir(parents=True, exist_ok=True)
    (chart / "files").mkdir(exist_ok=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: alerts\nversion: 0.0.0\n")
    (chart / "templates" / "rules.yaml").write_text('{{ tpl (.Files.Get "files/alerts.yaml") . }}\n')
    shutil.copy(ALERTS_FILE, chart / "files" / "alerts.yaml")
    rendered = helm.Chart.load(chart).render({"alerts": alerts}, name="vidsift", namespace="default")
    dest.write_text(rendered["alerts/templates/rules.yaml"])
    return dest


def chart_alert_values() -> dict:
    """The chart's own defaults for .Values.alerts (written once, in values.yaml)."""
    return yaml.safe_load(CHART_VALUES.read_text())["alerts"]
