"""Alert rules and dashboards, offline: they parse, they are current with their generators, they
read only metrics the code defines (or that a service issue promises), and they group by bounded
labels only. tests/e2e/test_metrics_catalogue.py checks the same names against a running system."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import yaml

from tests.deploy import metrics_catalogue as catalogue

ROOT = catalogue.ROOT


def test_rule_files_parse_and_every_alert_says_how_bad_and_what_to_do():
    alerts = []
    for path in catalogue.RULE_FILES:
        for group in yaml.safe_load(path.read_text(encoding="utf-8"))["groups"]:
            for rule in group["rules"]:
                if "alert" in rule:
                    alerts.append(rule["alert"])
                    assert rule["labels"]["severity"] in {"warning", "critical"}, rule["alert"]
                    assert rule["annotations"]["summary"] and rule["annotations"]["description"], rule["alert"]
                    assert "for" in rule, rule["alert"]
    assert len(alerts) == len(set(alerts)), "alert names repeat"


@pytest.mark.parametrize("topic, metric", [
    ("error rate", "tqr_grpc_server_requests_total"),
    ("p99 latency", "tqr_grpc_server_request_duration_seconds_bucket"),
    ("dead-lettered messages", "rabbitmq_queue_messages"),
    ("queue depth growing", "rabbitmq_queue_messages_ready"),
    ("outbox age", "tqr_outbox_oldest_age_seconds"),
    ("SMS/email failure rate", "tqr_notification_deliveries_total"),
    ("login throttling spikes", "tqr_identity_login_throttled_total"),
])
def test_an_alert_covers(topic, metric):
    assert any(metric in catalogue.metric_names(expr) for where, expr in catalogue.rule_expressions()
               if not where.split(":", 1)[1].startswith("tqr:")), topic


def test_promql_brackets_balance():
    for where, expr in catalogue.all_expressions():
        stripped = catalogue._strip_strings(expr)
        for opening, closing in ("()", "{}", "[]"):
            assert stripped.count(opening) == stripped.count(closing), where


def test_metric_name_extraction_finds_series_and_skips_functions_labels_and_durations():
    expr = ('sum by (service, le) (rate(tqr_a_bucket{code=~"X|Y", method!="m"}[5m])) / ignoring (le) '
            'tqr_b_total offset 1d > 0.5 and on (queue) rabbitmq_c unless histogram_quantile(0.9, tqr_d[$__range])')
    assert catalogue.metric_names(expr) == {"tqr_a_bucket", "tqr_b_total", "rabbitmq_c", "tqr_d"}
    assert catalogue.label_names(expr) == {"service", "le", "code", "method", "queue"}


def test_every_metric_in_dashboards_and_alerts_is_defined_in_code_or_expected():
    known = (catalogue.defined_in_source() | set(catalogue.EXPECTED_FROM_SERVICE_ISSUES) | catalogue.external_metrics()
             | catalogue.recorded_names())
    unknown = {f"{where}: {name}" for where, expr in catalogue.all_expressions()
               for name in catalogue.metric_names(expr) - known}
    assert not unknown, "\n".join(sorted(unknown))


def test_expected_from_service_issues_are_not_defined_in_code_yet():
    landed = sorted(set(catalogue.EXPECTED_FROM_SERVICE_ISSUES) & catalogue.defined_in_source())
    assert not landed, f"defined now: remove from EXPECTED_FROM_SERVICE_ISSUES: {landed}"


def test_dashboards_and_alerts_group_only_by_bounded_labels():
    used = {label for _, expr in catalogue.all_expressions()
            for label in catalogue.label_names(catalogue.without_exporter_label_matchers(expr))}
    assert not used & catalogue.FORBIDDEN_LABELS


def test_only_the_allowed_exporter_matchers_are_left_out_of_the_label_check():
    expr = ('cnpg_pg_settings_setting{job="postgres", name="max_connections"} / '
            'sum by (pod) (cnpg_backends_total{name="x"})')
    assert catalogue.label_names(catalogue.without_exporter_label_matchers(expr)) == {"job", "pod", "name"}
    assert "name" not in catalogue.label_names(catalogue.without_exporter_label_matchers(
        'cnpg_pg_settings_setting{name="max_connections"}'))


def test_metric_names_follow_prometheus_conventions_in_code():
    for name in catalogue.defined_in_source():
        assert name.startswith("tqr_"), name
        if "duration" in name or "latency" in name:
            assert name.removesuffix("_bucket").removesuffix("_sum").removesuffix("_count").removesuffix(
                "_created").endswith("_seconds"), name


def test_metrics_defined_in_servicekit_and_gateway_have_bounded_labels():
    from prometheus_client import REGISTRY
    from servicekit import metrics  # noqa: F401  (registers the shared metrics)
    from tqr_gateway import observability  # noqa: F401  (registers the HTTP metrics)

    collectors = list(REGISTRY._collector_to_names)  # the registry keeps no public list
    labelled = {getattr(c, "_name", ""): set(getattr(c, "_labelnames", ())) for c in collectors}
    ours = {name: labels for name, labels in labelled.items() if name.startswith("tqr_")}
    assert "tqr_grpc_server_requests" in ours and "tqr_http_requests" in ours
    for name, labels in ours.items():
        assert not labels & catalogue.FORBIDDEN_LABELS, name


def test_the_dashboards_show_funnel_authorities_status_changes_red_and_the_bus():
    def metrics_of(file: str) -> set[str]:
        return {n for where, expr in catalogue.dashboard_expressions() if where.startswith(file)
                for n in catalogue.metric_names(expr)}

    funnel = metrics_of("tqr-applicant-funnel.json")
    assert {"tqr_application_wizard_steps_total", "tqr_application_submissions_total",
            "tqr_application_status_changes_total"} <= funnel
    services = metrics_of("tqr-services.json")
    assert {"tqr_grpc_server_requests_total", "tqr_grpc_server_request_duration_seconds_bucket",
            "tqr_http_requests_total", "tqr_http_request_duration_seconds_bucket"} <= services
    bus = metrics_of("tqr-bus.json")
    assert {"tqr_events_published_total", "tqr_events_consumed_total", "rabbitmq_queue_messages_ready",
            "rabbitmq_queue_messages"} <= bus
    exprs = " ".join(expr for where, expr in catalogue.dashboard_expressions())
    assert "sum by (authority) (increase(tqr_application_submissions_total[1h]))" in exprs
    assert "sum by (service, method)" in exprs


def test_dashboard_files_are_valid_grafana_json_with_unique_ids():
    uids = set()
    for path in catalogue.DASHBOARD_FILES:
        dashboard = json.loads(path.read_text(encoding="utf-8"))
        assert dashboard["uid"] not in uids
        uids.add(dashboard["uid"])
        ids = [p["id"] for p in dashboard["panels"]]
        assert len(ids) == len(set(ids)), path.name
        for panel in dashboard["panels"]:
            grid = panel["gridPos"]
            assert grid["x"] + grid["w"] <= 24, (path.name, panel["title"])


@pytest.mark.parametrize("generator", ["deploy/grafana/build_dashboards.py", "deploy/prometheus/to_prometheus_rule.py"])
def test_generated_files_are_current(generator):
    result = subprocess.run([sys.executable, generator, "--check"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_expression_is_valid_promql_selecting_the_names_the_catalogue_extracts():
    """A real PromQL parser (promql-parser, the Rust parser's Python binding) checks the syntax, and
    checks the regex-based name extraction the other tests rely on."""
    promql = pytest.importorskip("promql_parser", reason="promql-parser is not installed")
    grafana_variables = {"$__rate_interval": "5m", "$__range": "1d", "$service": "any"}
    for where, expr in catalogue.all_expressions():
        concrete = expr
        for variable, value in grafana_variables.items():
            concrete = concrete.replace(variable, value)
        try:
            tree = promql.parse(concrete)
        except ValueError as error:
            pytest.fail(f"{where}: {error}\n{expr}")
        selected: set[str] = set()

        def collect(node: object, into: set[str] = selected) -> None:
            if isinstance(node, promql.VectorSelector) and node.name:
                into.add(node.name)

        promql.walk(tree, collect)
        assert selected == catalogue.metric_names(expr), where
