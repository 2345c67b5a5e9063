"""The alert rules through Prometheus' own tool: `promtool check rules` (syntax, templates) and
`promtool test rules` (deploy/prometheus/tests: each alert fires on synthetic series showing what
it describes, with its labels and rendered annotations), and every alert has such a test.

promtool is Debian's `prometheus` package, installed by tools/ensure-system-packages.sh (`make test`).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.deploy import metrics_catalogue as catalogue

ROOT = catalogue.ROOT
RULES = ROOT / "deploy" / "prometheus" / "rules"
TESTS = ROOT / "deploy" / "prometheus" / "tests"
PROMETHEUS_RULE = ROOT / "deploy" / "k8s" / "base" / "monitoring" / "prometheus-rules.yaml"


@pytest.fixture(scope="module")
def promtool() -> str:
    found = shutil.which("promtool")
    if found is None:
        pytest.fail("promtool is missing: tools/ensure-system-packages.sh installs it (Debian's prometheus package)")
    return found


def run(promtool: str, *args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([promtool, *map(str, args)], capture_output=True, text=True, timeout=120, cwd=ROOT)


def alerts() -> set[str]:
    return {rule["alert"] for path in RULES.glob("*.yml")
            for group in yaml.safe_load(path.read_text(encoding="utf-8"))["groups"]
            for rule in group["rules"] if "alert" in rule}


def unit_test_files() -> list[Path]:
    return sorted(TESTS.glob("*.test.yml"))


def test_promtool_accepts_every_rule_file(promtool):
    result = run(promtool, "check", "rules", *sorted(RULES.glob("*.yml")))
    assert result.returncode == 0, result.stdout + result.stderr


def test_promtool_accepts_the_rules_as_kubernetes_gets_them(promtool, tmp_path):
    """The PrometheusRule the cluster loads, its groups written back as a rule file."""
    (resource,) = [d for d in yaml.safe_load_all(PROMETHEUS_RULE.read_text(encoding="utf-8")) if d]
    rule_file = tmp_path / "from-prometheus-rule.yml"
    rule_file.write_text(yaml.safe_dump({"groups": resource["spec"]["groups"]}, allow_unicode=True), encoding="utf-8")
    result = run(promtool, "check", "rules", rule_file)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_alert_passes_its_promtool_unit_tests(promtool):
    result = run(promtool, "test", "rules", *unit_test_files())
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_alert_has_a_unit_test_where_it_fires():
    fired: set[str] = set()
    tested_files: set[str] = set()
    for path in unit_test_files():
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
        tested_files.update((path.parent / f).resolve().name for f in document["rule_files"])
        for test in document["tests"]:
            for case in test.get("alert_rule_test", []):
                if case.get("exp_alerts"):
                    fired.add(case["alertname"])
    assert alerts() - fired == set(), "alerts without a promtool test in which they fire"
    assert {p.name for p in RULES.glob("*.yml")} <= tested_files


def test_submissions_stopped_is_tested_after_an_application_restart():
    """The case the old expression missed: no submissions series at all once the pod restarted."""
    document = yaml.safe_load((TESTS / "tqr-domain.test.yml").read_text(encoding="utf-8"))
    (restart,) = [t for t in document["tests"] if "restart" in t["name"] and "TqrSubmissionsStopped" in t["name"]]

    def instances(metric: str) -> set[str]:
        return {s["series"].split('instance="')[1].split('"')[0] for s in restart["input_series"]
                if s["series"].startswith(metric + "{")}

    # Steps from the process before the restart and from the one after; submissions from the first only.
    steps, submissions = instances("tqr_application_wizard_steps_total"), instances("tqr_application_submissions_total")
    assert len(steps) == 2 and len(submissions) == 1 and submissions < steps
    assert any(case["exp_alerts"] for case in restart["alert_rule_test"] if case["alertname"] == "TqrSubmissionsStopped")
