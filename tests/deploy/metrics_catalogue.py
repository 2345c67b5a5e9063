"""Which metric names the dashboards and alert rules use, and which ones something exposes.

Used by tests/deploy/test_observability.py (offline: names defined in the source) and by
tests/e2e/test_metrics_catalogue.py (names scraped from every running process).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import yaml
from prometheus_client.parser import text_string_to_metric_families

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
RULE_FILES = sorted((DEPLOY / "prometheus" / "rules").glob("*.yml"))
DASHBOARD_FILES = sorted((DEPLOY / "grafana" / "dashboards").glob("*.json"))

# Names the dashboards and rules already use but that the services do not emit yet: each one is
# promised by a service's own issue. Delete a line when its service lands the metric (the e2e
# scrape test fails while a name here is already exposed, so this list only ever shrinks).
EXPECTED_FROM_SERVICE_ISSUES: dict[str, str] = {}

# Exposed by something other than our processes.
BROKER_METRICS = {  # rabbitmq_prometheus, /metrics/per-object (labels vhost, queue)
    "rabbitmq_queue_messages",
    "rabbitmq_queue_messages_ready",
    "rabbitmq_queue_messages_unacked",
    "rabbitmq_queue_consumers",
    # the node's memory and disk against the limits where it blocks publishers, and those alarms
    "rabbitmq_process_resident_memory_bytes",
    "rabbitmq_resident_memory_limit_bytes",
    "rabbitmq_disk_space_available_bytes",
    "rabbitmq_disk_space_available_limit_bytes",
    "rabbitmq_alarms_memory_used_watermark",
    "rabbitmq_alarms_free_disk_space_watermark",
}
PROMETHEUS_METRICS = {"up"}  # written by Prometheus itself for every target
KUBERNETES_METRICS = {  # kube-prometheus-stack: kube-state-metrics, and the kubelet's cAdvisor
    "kube_deployment_spec_replicas",
    "kube_pod_container_resource_requests",
    "kube_pod_container_resource_limits",
    "kube_pod_status_phase",
    "kube_pod_container_status_restarts_total",
    "kube_pod_container_status_waiting_reason",
    "kube_horizontalpodautoscaler_status_current_replicas",
    "kube_horizontalpodautoscaler_spec_max_replicas",
    "container_cpu_usage_seconds_total",
    "container_memory_working_set_bytes",
}
POSTGRES_METRICS = {  # CloudNativePG's exporters: the instances' (default queries) and PgBouncer's
    "cnpg_backends_total",
    "cnpg_pg_settings_setting",
    "cnpg_pgbouncer_pools_cl_active",
    "cnpg_pgbouncer_pools_cl_waiting",
    "cnpg_pgbouncer_pools_sv_active",
}
REDIS_METRICS = {  # redis_exporter beside Redis (k8s/base/redis.yaml, Compose's redis-exporter)
    "redis_up",
    "redis_memory_used_bytes",
    "redis_memory_max_bytes",
    "redis_connected_clients",
    "redis_commands_processed_total",
    "redis_pubsub_channels",
}


def external_metrics() -> set[str]:
    """Every name the dashboards and rules may read that our own processes do not expose."""
    return BROKER_METRICS | PROMETHEUS_METRICS | KUBERNETES_METRICS | POSTGRES_METRICS | REDIS_METRICS


# An exporter's label whose values are a fixed set, matched against one of them: not ours, not
# personal, not unbounded (a PostgreSQL setting's name).
EXPORTER_LABEL_MATCHERS = {"cnpg_pg_settings_setting": {"name"}}

# Label names that would carry personal data or unbounded values.
FORBIDDEN_LABELS = {"id", "number", "phone", "name", "email", "id_number", "document_number", "user", "user_id",
                    "account", "path", "url", "ip"}

_KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "and", "or", "unless", "offset",
             "bool", "inf", "nan", "atan2"}


def rule_expressions() -> Iterator[tuple[str, str]]:
    """(where, PromQL) for every alert and recording rule."""
    for path in RULE_FILES:
        for group in yaml.safe_load(path.read_text(encoding="utf-8"))["groups"]:
            for rule in group["rules"]:
                yield f"{path.name}:{rule.get('alert') or rule.get('record')}", rule["expr"]


def recorded_names() -> set[str]:
    names: set[str] = set()
    for path in RULE_FILES:
        for group in yaml.safe_load(path.read_text(encoding="utf-8"))["groups"]:
            names.update(rule["record"] for rule in group["rules"] if "record" in rule)
    return names


def dashboard_expressions() -> Iterator[tuple[str, str]]:
    """(where, PromQL) for every panel target and query variable of every dashboard."""
    for path in DASHBOARD_FILES:
        dashboard = json.loads(path.read_text(encoding="utf-8"))
        for panel in dashboard["panels"]:
            for target in panel.get("targets", []):
                yield f"{path.name}:{panel['title']}", target["expr"]
        for variable in dashboard["templating"]["list"]:
            if variable.get("type") == "query":
                query = variable["query"]["query"] if isinstance(variable["query"], dict) else variable["query"]
                inner = re.fullmatch(r"label_values\((.*),\s*\w+\)", query)
                yield f"{path.name}:${variable['name']}", inner.group(1) if inner else query


def all_expressions() -> list[tuple[str, str]]:
    return [*rule_expressions(), *dashboard_expressions()]


def _strip_strings(expr: str) -> str:
    return re.sub(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'', '""', expr)


def metric_names(expr: str) -> set[str]:
    """The series names a PromQL expression selects (functions, keywords, labels left out)."""
    text = _strip_strings(expr)
    text = re.sub(r"\{[^}]*\}", " ", text)  # label matchers
    text = re.sub(r"\[[^\]]*\]", " ", text)  # ranges and subqueries
    text = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", text)
    names = set()
    for match in re.finditer(r"(?<![\w.$])([A-Za-z_:][\w:]*)(\s*\()?", text):
        word, is_call = match.group(1), match.group(2)
        if not is_call and word.lower() not in _KEYWORDS:
            names.add(word)
    return names


def without_exporter_label_matchers(expr: str) -> str:
    """``expr`` without the matchers EXPORTER_LABEL_MATCHERS allows (kept: every other matcher)."""
    def keep(match: re.Match[str]) -> str:
        metric, matchers = match.group(1), match.group(2)
        allowed = EXPORTER_LABEL_MATCHERS[metric]
        kept = [m for m in re.findall(r'\s*([A-Za-z_]\w*\s*(?:=~|!~|!=|=)\s*"(?:[^"\\]|\\.)*")\s*,?', matchers)
                if m.split("=")[0].rstrip("!~ ") not in allowed]
        return f"{metric}{{{', '.join(kept)}}}"

    names = "|".join(map(re.escape, EXPORTER_LABEL_MATCHERS))
    return re.sub(rf"\b({names})\{{([^}}]*)\}}", keep, expr)


def label_names(expr: str) -> set[str]:
    """Label names an expression matches on or groups by."""
    text = _strip_strings(expr)
    names: set[str] = set()
    for matchers in re.findall(r"\{([^}]*)\}", text):
        names.update(re.findall(r"([A-Za-z_]\w*)\s*(?:=~|!~|!=|=)", matchers))
    for grouping in re.findall(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)", text):
        names.update(part.strip() for part in grouping.split(",") if part.strip())
    return names


def defined_in_source() -> set[str]:
    """Sample names of the metrics the code defines (``Counter("tqr_…"``, ``Histogram(`` …)."""
    samples: set[str] = set()
    pattern = re.compile(r"\b(Counter|Gauge|Histogram|Summary)\(\s*\"([a-zA-Z_:][\w:]*)\"")
    for path in [*ROOT.glob("libs/servicekit/**/*.py"), *ROOT.glob("services/*/src/**/*.py")]:
        for kind, name in pattern.findall(path.read_text(encoding="utf-8")):
            samples.update(sample_names(name.removesuffix("_total"), kind.lower()))
    return samples


def sample_names(family: str, kind: str) -> set[str]:
    """The series a metric family produces in the Prometheus text format."""
    return {
        "counter": {f"{family}_total", f"{family}_created"},
        "histogram": {f"{family}_bucket", f"{family}_sum", f"{family}_count", f"{family}_created"},
        "summary": {family, f"{family}_sum", f"{family}_count", f"{family}_created"},
        "info": {f"{family}_info"},
    }.get(kind, {family})


def parse_exposition(text: str) -> list[Any]:
    return list(text_string_to_metric_families(text))


def exposed_sample_names(families: Iterable[Any]) -> set[str]:
    names: set[str] = set()
    for family in families:
        names.update(sample_names(family.name, family.type))
        names.update(sample.name for sample in family.samples)
    return names
