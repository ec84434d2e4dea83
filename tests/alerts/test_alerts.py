"""The alert rules: promtool check + promtool unit tests (alerts_test.yaml), over the real Helm render."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.alerts.rules import ALERTS, ALERTS_FILE, CHART_VALUES, chart_alert_values, promtool, render_rules

HERE = Path(__file__).parent
# The values alerts_test.yaml was written for (the contract's numbers, kept here on purpose:
# a change of the chart's defaults must not silently rewrite what the unit tests expect).
RULE_VALUES = {
    "backlogHigh": {"threshold": 1000, "for": "15m"},
    "backlogGrowing": {"for": "30m"},
    "stalled": {"for": "10m"},
    "deadLetters": {"for": "5m"},
    "failureRate": {"threshold": 0.05, "for": "15m"},
    "workerDown": {"for": "5m"},
}


@pytest.fixture(scope="module")
def rules(tmp_path_factory) -> Path:
    return render_rules(tmp_path_factory.mktemp("alerts") / "rules.yaml", RULE_VALUES)


def run_promtool(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([promtool(), *args], capture_output=True, text=True, cwd=cwd, timeout=120)


def test_promtool_check_rules(rules):
    result = run_promtool("check", "rules", str(rules))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS: 11 rules found" in result.stdout


def test_every_alert_present_with_labels_and_annotations(rules):
    alerts = {r["alert"]: r for g in yaml.safe_load(rules.read_text())["groups"]
              for r in g["rules"] if "alert" in r}
    assert set(alerts) == set(ALERTS)
    for name, rule in alerts.items():
        assert rule["labels"]["severity"] in ("warning", "critical"), name
        assert {"summary", "description", "runbook_url"} <= set(rule["annotations"]), name
        assert rule["annotations"]["runbook_url"].endswith("#" + name.lower()), name


def test_promtool_unit_tests(rules):
    """Each alert fires on its case and stays quiet on the others (see alerts_test.yaml)."""
    shutil.copy(HERE / "alerts_test.yaml", rules.parent / "alerts_test.yaml")
    result = run_promtool("test", "rules", "alerts_test.yaml", cwd=rules.parent)
    assert result.returncode == 0, result.stdout + result.stderr
    tested = set(re.findall(r"alertname: (\w+)", (HERE / "alerts_test.yaml").read_text()))
    assert tested == set(ALERTS)


def test_unit_tests_catch_a_broken_rule(rules, tmp_path):
    """The unit tests can fail: a Stalled rule that ignores consumers is caught."""
    broken = rules.read_text().replace("(vidsift:queue_consumers == 0)", "(vidsift:queue_consumers < 0)")
    assert broken != rules.read_text()
    (tmp_path / "rules.yaml").write_text(broken)
    shutil.copy(HERE / "alerts_test.yaml", tmp_path / "alerts_test.yaml")
    result = run_promtool("test", "rules", "alerts_test.yaml", cwd=tmp_path)
    assert result.returncode == 1 and "alertname: VidsiftStageStalled" in result.stdout + result.stderr


def test_chart_defaults_render_and_match_every_key_the_file_uses(tmp_path):
    used = set(re.findall(r"\.Values\.alerts\.(\w+)\.(\w+)", ALERTS_FILE.read_text()))
    defaults = chart_alert_values()
    missing = {f"{a}.{k}" for a, k in used if k not in defaults.get(a, {})}
    assert not missing, f"{CHART_VALUES} lacks alerts keys the rules use: {sorted(missing)}"
    result = run_promtool("check", "rules", str(render_rules(tmp_path / "rules.yaml", defaults)))
    assert result.returncode == 0, result.stdout + result.stderr


def test_values_reach_the_rules(tmp_path):
    values = {**RULE_VALUES, "backlogHigh": {"threshold": 42, "for": "7m"}}
    rules = yaml.safe_load(render_rules(tmp_path / "rules.yaml", values).read_text())
    high = next(r for g in rules["groups"] for r in g["rules"] if r.get("alert") == "VidsiftStageBacklogHigh")
    assert high["expr"].strip().endswith("> 42") and high["for"] == "7m"
    assert "more than 42 ready messages for 7m" in high["annotations"]["description"]


def test_the_chart_ships_exactly_these_rules(tmp_path):
    """The chart's PrometheusRule carries the groups promtool checked (same file, same values)."""
    import helm_python as helm

    manifests = helm.Chart.load(CHART_VALUES.parent).render({}, name="vidsift", namespace="default")
    docs = [d for path, text in manifests.items() if path.endswith(".yaml") for d in yaml.safe_load_all(text) if d]
    rule = next(d for d in docs if d["kind"] == "PrometheusRule")
    expected = yaml.safe_load(render_rules(tmp_path / "rules.yaml", chart_alert_values()).read_text())
    assert rule["spec"]["groups"] == expected["groups"]
