"""Every metric a dashboard or an alert rule reads is one a running process exposes (or is listed,
with its reason, in tests/deploy/metrics_catalogue.py), and the exposed names follow Prometheus
conventions. The catalogue is scraped from the whole system as `make run` starts it."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.deploy import metrics_catalogue as catalogue
from tools.devrun import BACKENDS, GATEWAY_METRICS_PORT, metrics_port

# Families every prometheus_client process adds on its own; not ours to name.
CLIENT_LIBRARY_PREFIXES = ("python_", "process_")


@pytest.fixture(scope="module")
def scraped(running_system) -> dict[str, list[Any]]:
    """Metric families per process, straight from each /metrics endpoint."""
    ports = {service: metrics_port(service, offset=running_system.port_offset) for service in BACKENDS}
    ports["gateway"] = GATEWAY_METRICS_PORT + running_system.port_offset
    families: dict[str, list[Any]] = {}
    with httpx.Client(timeout=10) as client:
        client.get(f"{running_system.url}/readyz")  # at least one HTTP request and RPCs on record
        for process, port in ports.items():
            answer = client.get(f"http://127.0.0.1:{port}/metrics")
            answer.raise_for_status()
            families[process] = catalogue.parse_exposition(answer.text)
    return families


def _ours(families: list[Any]) -> list[Any]:
    """Our families; the client library's own, and the ``<name>_created`` timestamp gauges it adds
    beside each counter and histogram in the text format, are left out."""
    return [f for f in families if not f.name.startswith(CLIENT_LIBRARY_PREFIXES) and not f.name.endswith("_created")]


def test_every_metric_in_dashboards_and_alerts_is_exposed_or_expected(scraped):
    exposed = set().union(*(catalogue.exposed_sample_names(f) for f in scraped.values()))
    known = (exposed | set(catalogue.EXPECTED_FROM_SERVICE_ISSUES) | catalogue.external_metrics()
             | catalogue.recorded_names())
    unknown = {f"{where}: {name}" for where, expr in catalogue.all_expressions()
               for name in catalogue.metric_names(expr) - known}
    assert not unknown, "used but exposed by no process:\n" + "\n".join(sorted(unknown))


def test_expected_from_service_issues_lists_only_names_not_exposed_yet(scraped):
    exposed = set().union(*(catalogue.exposed_sample_names(f) for f in scraped.values()))
    landed = sorted(set(catalogue.EXPECTED_FROM_SERVICE_ISSUES) & exposed)
    assert not landed, f"now exposed, remove from EXPECTED_FROM_SERVICE_ISSUES in tests/deploy/metrics_catalogue.py: {landed}"


def test_exposed_metric_names_follow_prometheus_conventions(scraped):
    problems = []
    for process, families in scraped.items():
        for family in _ours(families):
            if not family.name.startswith("tqr_"):
                problems.append(f"{process}: {family.name} lacks the tqr_ prefix")
            if family.type == "counter" and any(
                s.name not in (f"{family.name}_total", f"{family.name}_created") for s in family.samples
            ):
                problems.append(f"{process}: counter {family.name} has samples not ending in _total")
            timed = any(word in family.name for word in ("duration", "latency", "elapsed", "_age", "_time"))
            if timed and not family.name.endswith("_seconds"):
                problems.append(f"{process}: {family.name} measures time but is not in _seconds")
            if family.name.endswith(("_milliseconds", "_ms", "_minutes")):
                problems.append(f"{process}: {family.name} uses a non-base unit")
    assert not problems, "\n".join(problems)


def test_no_exposed_label_can_carry_personal_or_unbounded_values(scraped):
    offending = {
        f"{process}: {family.name}{{{label}}}"
        for process, families in scraped.items()
        for family in _ours(families)
        for sample in family.samples
        for label in sample.labels
        if label in catalogue.FORBIDDEN_LABELS
    }
    assert not offending, sorted(offending)


def test_each_process_reports_itself_serving_under_its_service_label(scraped):
    for service in BACKENDS:
        serving = [s for f in scraped[service] if f.name == "tqr_serving" for s in f.samples]
        assert any(s.labels.get("service") == service and s.value == 1.0 for s in serving), service
