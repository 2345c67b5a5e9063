"""Writes the Grafana dashboards from the short descriptions below, for Compose and for Kubernetes:

- deploy/grafana/dashboards/*.json, which Compose's Grafana loads (provisioning/dashboards);
- deploy/k8s/base/monitoring/dashboards.yaml, the same JSON as one ConfigMap per dashboard, labelled
  ``grafana_dashboard: "1"`` for kube-prometheus-stack's Grafana sidecar (folder: the
  ``grafana_folder`` annotation; deploy/k8s/cluster/kube-prometheus-stack-values.yaml).

    .venv/bin/python deploy/grafana/build_dashboards.py          rewrite both
    .venv/bin/python deploy/grafana/build_dashboards.py --check  exit 1 when a file is stale

Dashboards are generated so every panel has the same shape, ids and grid positions stay
consistent, and the PromQL lives in one readable place (tests/deploy checks that every metric
named here is one the services expose, or one of the exporters in tests/deploy/metrics_catalogue.py).
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parent / "dashboards"
CONFIG_MAPS = Path(__file__).resolve().parents[1] / "k8s" / "base" / "monitoring" / "dashboards.yaml"
FOLDER = "TQR"
DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}
SERVER_FAULTS = 'code=~"INTERNAL|UNKNOWN|UNAVAILABLE|DEADLINE_EXCEEDED|DATA_LOSS|UNIMPLEMENTED"'


@dataclass
class Panel:
    title: str
    targets: list[tuple[str, str]]  # (PromQL, legend)
    kind: str = "timeseries"
    unit: str = "short"
    width: int = 12
    height: int = 8
    description: str = ""
    interval: str = ""
    options: dict[str, Any] = field(default_factory=dict)


@dataclass
class Row:
    title: str
    panels: list[Panel]


@dataclass
class Dashboard:
    uid: str
    title: str
    description: str
    rows: list[Row]
    variables: list[dict[str, Any]] = field(default_factory=list)
    time_from: str = "now-6h"


def datasource_variable() -> dict[str, Any]:
    return {
        "name": "datasource",
        "label": "Data source",
        "type": "datasource",
        "query": "prometheus",
        "current": {"text": "Prometheus", "value": "prometheus"},
        "hide": 0,
    }


def query_variable(name: str, label: str, query: str) -> dict[str, Any]:
    return {
        "name": name,
        "label": label,
        "type": "query",
        "datasource": DATASOURCE,
        "query": {"query": query, "refId": f"{name}-values"},
        "definition": query,
        "refresh": 2,
        "multi": True,
        "includeAll": True,
        "allValue": ".*",
        "current": {"text": "All", "value": "$__all"},
        "sort": 1,
        "hide": 0,
    }


def render_panel(panel: Panel, panel_id: int, x: int, y: int) -> dict[str, Any]:
    targets = []
    for index, (expr, legend) in enumerate(panel.targets):
        target: dict[str, Any] = {
            "datasource": DATASOURCE,
            "expr": expr,
            "legendFormat": legend,
            "refId": chr(ord("A") + index),
            "range": True,
        }
        if panel.interval:
            target["interval"] = panel.interval
        targets.append(target)
    rendered: dict[str, Any] = {
        "id": panel_id,
        "type": panel.kind,
        "title": panel.title,
        "description": panel.description,
        "datasource": DATASOURCE,
        "gridPos": {"h": panel.height, "w": panel.width, "x": x, "y": y},
        "targets": targets,
        "fieldConfig": {"defaults": {"unit": panel.unit}, "overrides": []},
        "options": panel.options,
    }
    if panel.interval:
        rendered["interval"] = panel.interval
    return rendered


def render(dashboard: Dashboard) -> dict[str, Any]:
    panels: list[dict[str, Any]] = []
    panel_id, y = 1, 0
    for row in dashboard.rows:
        panels.append(
            {
                "id": panel_id,
                "type": "row",
                "title": row.title,
                "collapsed": False,
                "gridPos": {"h": 1, "w": 24, "x": 0, "y": y},
                "panels": [],
            }
        )
        panel_id, y, x, row_height = panel_id + 1, y + 1, 0, 0
        for panel in row.panels:
            if x + panel.width > 24:
                x, y, row_height = 0, y + row_height, 0
            panels.append(render_panel(panel, panel_id, x, y))
            panel_id, x, row_height = panel_id + 1, x + panel.width, max(row_height, panel.height)
        y += row_height
    return {
        "uid": dashboard.uid,
        "title": dashboard.title,
        "description": dashboard.description,
        "tags": ["tqr"],
        "timezone": "browser",
        "schemaVersion": 39,
        "version": 1,
        "editable": False,
        "graphTooltip": 1,
        "refresh": "30s",
        "time": {"from": dashboard.time_from, "to": "now"},
        "templating": {"list": [datasource_variable(), *dashboard.variables]},
        "annotations": {"list": []},
        "links": [],
        "panels": panels,
    }


def custom_variable(name: str, label: str, values: list[str]) -> dict[str, Any]:
    """A fixed list to choose from (several at once, or all)."""
    return {
        "name": name,
        "label": label,
        "type": "custom",
        "query": ",".join(values),
        "multi": True,
        "includeAll": True,
        "current": {"text": "All", "value": "$__all"},
        "options": [],
        "hide": 0,
    }


def rate(metric: str, by: str = "", selector: str = "", window: str = "$__rate_interval") -> str:
    """``sum by (<by>) (rate(<metric>{<selector>}[<window>]))``."""
    grouping = f"by ({by}) " if by else ""
    labels = f"{{{selector}}}" if selector else ""
    return f"sum {grouping}(rate({metric}{labels}[{window}]))"


def increase(metric: str, by: str = "", window: str = "$__range") -> str:
    grouping = f"by ({by}) " if by else ""
    return f"sum {grouping}(increase({metric}[{window}]))"


def quantile(q: float, histogram: str, by: str = "", selector: str = "") -> str:
    """The q-quantile of a histogram (``<histogram>_bucket``) over the rate interval."""
    return f"histogram_quantile({q}, {rate(histogram + '_bucket', ', '.join(filter(None, [by, 'le'])), selector)})"


def services_dashboard() -> Dashboard:
    chosen = 'service=~"$service"'
    grpc_in, grpc_seconds = "tqr_grpc_server_requests_total", "tqr_grpc_server_request_duration_seconds"
    http, http_seconds = "tqr_http_requests_total", "tqr_http_request_duration_seconds"
    faults = f"{rate(grpc_in, 'service', f'{chosen}, {SERVER_FAULTS}')} / {rate(grpc_in, 'service', chosen)}"
    server_errors = rate(http, "", 'status=~"5.."')
    admissions = "tqr_gateway_admissions_total"
    return Dashboard(
        uid="tqr-services",
        title="TQR services — rate, errors, duration",
        description="Requests, faults and latency of the gateway and of every service, per service and per RPC.",
        variables=[query_variable("service", "Service", f"label_values({grpc_in}, service)")],
        rows=[
            Row(
                "Gateway (HTTP)",
                [
                    Panel(
                        "Requests per second by status", [(rate(http, "status"), "{{status}}")], unit="reqps", width=8
                    ),
                    Panel("5xx share", [(f"{server_errors} / {rate(http)}", "5xx")], unit="percentunit", width=8),
                    Panel(
                        "p99 / p50 latency",
                        [(quantile(0.99, http_seconds), "p99"), (quantile(0.5, http_seconds), "p50")],
                        unit="s",
                        width=8,
                    ),
                    Panel(
                        "Slowest routes (p99)",
                        [(f"topk(10, {quantile(0.99, http_seconds, 'route')})", "{{route}}")],
                        unit="s",
                        width=24,
                    ),
                ],
            ),
            Row(
                "Gateway admission control (R-PEAK-1)",
                [
                    Panel(
                        "Admitted, queued and shed per second",
                        [(rate(admissions, "outcome"), "{{outcome}}")],
                        unit="reqps",
                        width=8,
                        description="Queued: a new visitor shown the waiting page. Shed: 503 with Retry-After "
                        "(work under way that found no slot in time, or a program while visitors queue).",
                    ),
                    Panel(
                        "Shed per second by standing",
                        [(rate(admissions, "standing", 'outcome="shed"'), "{{standing}}")],
                        unit="reqps",
                        width=8,
                        description="Submissions and wizard steps should be shed last: if they are, the "
                        "services behind the gateway are short of capacity.",
                    ),
                    Panel(
                        "Requests in flight and the limit (all gateways)",
                        [("sum(tqr_gateway_requests_in_flight)", "in flight"),
                         ("sum(tqr_gateway_concurrency_limit)", "limit")],
                        width=8,
                    ),
                    Panel(
                        "Waiting room: visitors queued and let in per second",
                        [("max(tqr_gateway_waiting_room_visitors)", "queued"),
                         ("max(tqr_gateway_waiting_room_admissions_per_second)", "let in per second")],
                        width=12,
                        description="One queue for every gateway in Redis; each gateway reports it as it last saw it.",
                    ),
                    Panel(
                        "Waiting room: the oldest wait",
                        [("max(tqr_gateway_waiting_room_oldest_wait_seconds)", "oldest")],
                        unit="s",
                        width=12,
                    ),
                ],
            ),
            Row(
                "Services (gRPC in)",
                [
                    Panel(
                        "RPCs per second", [(rate(grpc_in, "service", chosen), "{{service}}")], unit="reqps", width=8
                    ),
                    Panel(
                        "Fault share (server faults / all RPCs)", [(faults, "{{service}}")], unit="percentunit", width=8
                    ),
                    Panel(
                        "p99 latency",
                        [(quantile(0.99, grpc_seconds, "service", chosen), "{{service}}")],
                        unit="s",
                        width=8,
                    ),
                    Panel(
                        "Serving replicas",
                        [(f"sum by (service) (tqr_serving{{{chosen}}})", "{{service}}")],
                        kind="stat",
                        width=24,
                        height=4,
                    ),
                    Panel(
                        "Garbage-collection pauses: p99 by process and generation",
                        [(quantile(0.99, "tqr_gc_pause_seconds", "job, generation"), "{{job}} gen {{generation}}")],
                        unit="s",
                        width=24,
                        description="A collection stops the whole process: every request in flight waits for it.",
                    ),
                ],
            ),
            Row(
                "Per RPC",
                [
                    Panel(
                        "RPCs per second by method",
                        [(rate(grpc_in, "service, method", chosen), "{{service}} {{method}}")],
                        unit="reqps",
                        width=8,
                    ),
                    Panel(
                        "Answers other than OK, by method and code",
                        [(rate(grpc_in, "method, code", f'{chosen}, code!="OK"'), "{{method}} {{code}}")],
                        unit="reqps",
                        width=8,
                        description="Refusals (NOT_FOUND…) are answers; INTERNAL, UNAVAILABLE are faults.",
                    ),
                    Panel(
                        "p99 latency by method",
                        [(quantile(0.99, grpc_seconds, "method", chosen), "{{method}}")],
                        unit="s",
                        width=8,
                    ),
                    Panel(
                        "Calls out (gRPC client) by method and code",
                        [(rate("tqr_grpc_client_requests_total", "method, code"), "{{method}} {{code}}")],
                        unit="reqps",
                        width=12,
                    ),
                    Panel(
                        "Calls out: p99 until the callee answered",
                        [(quantile(0.99, "tqr_grpc_client_request_duration_seconds", "method"), "{{method}}")],
                        unit="s",
                        width=12,
                    ),
                ],
            ),
        ],
    )


def funnel_dashboard() -> Dashboard:
    steps, submissions = "tqr_application_wizard_steps_total", "tqr_application_submissions_total"
    deliveries = "tqr_notification_deliveries_total"
    failed = rate(deliveries, "channel", 'status="failed"')
    failed_share = f"{failed} / {rate(deliveries, 'channel')}"
    return Dashboard(
        uid="tqr-applicant-funnel",
        title="TQR applicant funnel",
        time_from="now-24h",
        description="How many applicants reach each wizard step and submit; submissions per authority; decisions.",
        rows=[
            Row(
                "Wizard",
                [
                    Panel(
                        "Applicants reaching each step (time range)",
                        [(increase(steps, "step"), "{{step}}")],
                        kind="bargauge",
                        width=16,
                        height=10,
                        options={
                            "orientation": "horizontal",
                            "displayMode": "gradient",
                            "reduceOptions": {"calcs": ["lastNotNull"], "values": False},
                        },
                    ),
                    Panel(
                        "Submitted (time range)", [(increase(submissions), "submitted")], kind="stat", width=8, height=5
                    ),
                    Panel(
                        "Login throttled per second",
                        [(rate("tqr_identity_login_throttled_total"), "throttled")],
                        width=8,
                        height=5,
                        unit="ops",
                    ),
                    Panel("Steps per minute", [(f"{rate(steps, 'step')} * 60", "{{step}}")], width=24),
                ],
            ),
            Row(
                "Submissions and decisions",
                [
                    Panel(
                        "Submissions per authority per hour",
                        [(increase(submissions, "authority", "1h"), "{{authority}}")],
                        interval="1h",
                        width=12,
                        options={"legend": {"displayMode": "table", "placement": "right"}},
                    ),
                    Panel(
                        "Status changes by new status",
                        [
                            (
                                increase("tqr_application_status_changes_total", "to_status", "$__rate_interval"),
                                "{{to_status}}",
                            )
                        ],
                        width=12,
                    ),
                ],
            ),
            Row(
                "Messages to applicants",
                [
                    Panel(
                        "Deliveries by channel and status",
                        [(rate(deliveries, "channel, status"), "{{channel}} {{status}}")],
                        unit="ops",
                        width=12,
                    ),
                    Panel("Failed share by channel", [(failed_share, "{{channel}}")], unit="percentunit", width=12),
                ],
            ),
        ],
    )


def bus_dashboard() -> Dashboard:
    return Dashboard(
        uid="tqr-bus",
        title="TQR event bus",
        description="Outbox, published and consumed events, consumer lag and dead letters.",
        rows=[
            Row(
                "Publishing (outbox relay)",
                [
                    Panel(
                        "Published per second by event",
                        [(rate("tqr_events_published_total", "service, event_type"), "{{service}} {{event_type}}")],
                        unit="ops",
                        width=12,
                    ),
                    Panel(
                        "Publish failures per second",
                        [(rate("tqr_event_publish_failures_total", "service"), "{{service}}")],
                        unit="ops",
                        width=12,
                    ),
                    Panel(
                        "Outbox backlog (events not yet published)",
                        [("max by (service) (tqr_outbox_backlog)", "{{service}}")],
                        width=12,
                    ),
                    Panel(
                        "Oldest unpublished event",
                        [("max by (service) (tqr_outbox_oldest_age_seconds)", "{{service}}")],
                        unit="s",
                        width=12,
                    ),
                ],
            ),
            Row(
                "Consuming",
                [
                    Panel(
                        "Consumed per second by outcome",
                        [(rate("tqr_events_consumed_total", "service, outcome"), "{{service}} {{outcome}}")],
                        unit="ops",
                        width=12,
                    ),
                    Panel(
                        "Handling p99 by event",
                        [
                            (
                                quantile(0.99, "tqr_event_handling_duration_seconds", "service, event_type"),
                                "{{service}} {{event_type}}",
                            )
                        ],
                        unit="s",
                        width=12,
                    ),
                    Panel(
                        "Lag: ready messages per queue",
                        [('sum by (queue) (rabbitmq_queue_messages_ready{queue=~".*\\\\.events"})', "{{queue}}")],
                        width=12,
                        description="Messages waiting for a consumer. KEDA scales notification and documents on this.",
                    ),
                    Panel(
                        "Dead-lettered: messages parked per queue",
                        [('sum by (queue) (rabbitmq_queue_messages{queue=~".*\\\\.dlq"})', "{{queue}}")],
                        width=12,
                        description='Replay with `make dlq-replay ARGS="<consumer> --replay"` after fixing the cause.',
                    ),
                ],
            ),
        ],
    )


WORKLOADS = ["gateway", "identity", "application", "notification", "documents"]
# Our pods in kube-state-metrics and cAdvisor series: the overlays' namespaces (tqr, tqr-dev).
IN_NAMESPACE = 'namespace=~"$namespace"'


def capacity_dashboard() -> Dashboard:
    """What the runbook's peak window watches: pods against their requests, autoscalers against
    their maximums, queues and consumers, PostgreSQL and PgBouncer connections, RabbitMQ's alarms,
    Redis. Kubernetes and exporter series (kube-prometheus-stack, CloudNativePG, redis_exporter):
    in Compose only the queue, notification, RabbitMQ and Redis panels have data."""
    pods = f'{IN_NAMESPACE}, pod=~"($workload)-.*"'
    cpu_used = f'sum by (pod) (rate(container_cpu_usage_seconds_total{{{pods}, container!=""}}[$__rate_interval]))'
    cpu_requested = f'sum by (pod) (kube_pod_container_resource_requests{{{pods}, resource="cpu"}})'
    memory = f'sum by (pod) (container_memory_working_set_bytes{{{pods}, container!=""}})'
    memory_requested = f'sum by (pod) (kube_pod_container_resource_requests{{{pods}, resource="memory"}})'
    memory_limit = f'sum by (pod) (kube_pod_container_resource_limits{{{pods}, resource="memory"}})'
    hpa = f"{{{IN_NAMESPACE}}}"
    current = f"max by (horizontalpodautoscaler) (kube_horizontalpodautoscaler_status_current_replicas{hpa})"
    maximum = f"max by (horizontalpodautoscaler) (kube_horizontalpodautoscaler_spec_max_replicas{hpa})"
    events_queues = 'queue=~".*\\\\.events"'
    rabbit, postgres, bouncer = 'job="rabbitmq"', f'job="postgres", {IN_NAMESPACE}', f'job="pgbouncer", {IN_NAMESPACE}'
    return Dashboard(
        uid="tqr-capacity",
        title="TQR capacity — pods, autoscalers, queues, data tier",
        time_from="now-3h",
        description="The peak window's panels (deploy/RUNBOOK.md): CPU and memory per pod against requests, "
                    "replicas against the autoscalers' maximums, queues and consumers, PostgreSQL and "
                    "PgBouncer connections, RabbitMQ memory and disk, Redis.",
        variables=[
            query_variable("namespace", "Namespace", "label_values(kube_deployment_spec_replicas{deployment=\"gateway\"}, "
                                                       "namespace)"),
            custom_variable("workload", "Workload", WORKLOADS),
        ],
        rows=[
            Row(
                "Pods against their requests",
                [
                    Panel("CPU per pod and its request (cores)",
                          [(cpu_used, "{{pod}}"), (cpu_requested, "{{pod}} request")], width=8,
                          description="The HPA scales on used / requested; a Python process uses one core at most."),
                    Panel("CPU used / requested per pod", [(f"{cpu_used} / {cpu_requested}", "{{pod}}")],
                          unit="percentunit", width=8,
                          description="The HPA's target (deploy/CAPACITY.md): above it for minutes means scaling out."),
                    Panel("Memory per pod (working set), request and limit",
                          [(memory, "{{pod}}"), (memory_requested, "{{pod}} request"), (memory_limit, "{{pod}} limit")],
                          unit="bytes", width=8,
                          description="At the limit the kernel kills the process (OOMKilled, then a restart)."),
                ],
            ),
            Row(
                "Autoscalers and pods",
                [
                    Panel("Replicas and their maximum per autoscaler",
                          [(current, "{{horizontalpodautoscaler}}"), (maximum, "{{horizontalpodautoscaler}} max")],
                          width=8, description="KEDA's autoscalers are keda-hpa-notification and keda-hpa-documents."),
                    Panel("Replicas / maximum", [(f"{current} / {maximum}", "{{horizontalpodautoscaler}}")],
                          unit="percentunit", width=8,
                          description="1 = at the maximum: more load waits (alert TqrAutoscalerAtMaximum; "
                                      "the runbook's emergency path raises the maximum)."),
                    Panel("Pods Pending, and restarts in 10 minutes",
                          [(f'sum by (namespace) (kube_pod_status_phase{{{IN_NAMESPACE}, phase="Pending"}})',
                            "Pending ({{namespace}})"),
                           (f"sum by (pod) (increase(kube_pod_container_status_restarts_total{{{IN_NAMESPACE}}}[10m]))",
                            "{{pod}} restarts")],
                          width=8, description="Pending: no node has room (requests) or a volume cannot attach."),
                ],
            ),
            Row(
                "Queues and consumers",
                [
                    Panel("Ready messages per queue",
                          [(f"sum by (queue) (rabbitmq_queue_messages_ready{{{rabbit}, {events_queues}}})", "{{queue}}")],
                          width=6, description="documents is scaled by KEDA on documents.events."),
                    Panel("Consumers per queue",
                          [(f"sum by (queue) (rabbitmq_queue_consumers{{{rabbit}, {events_queues}}})", "{{queue}}")],
                          width=6, description="One per pod of the consuming service; 0 means nobody drains it."),
                    Panel("Notification: deliveries due and in flight",
                          [("max(tqr_notification_deliveries_due)", "due, not claimed"),
                           ("sum(tqr_notification_deliveries_in_flight)", "in flight")],
                          width=6, description="KEDA scales notification on their sum (k8s/base/notification.yaml)."),
                    Panel("Notification: the oldest due delivery has waited",
                          [("max(tqr_notification_oldest_due_age_seconds)", "oldest due")], unit="s", width=6),
                    Panel("RabbitMQ memory against its high watermark",
                          [(f"max by (instance) (rabbitmq_process_resident_memory_bytes{{{rabbit}}})", "{{instance}}"),
                           (f"max by (instance) (rabbitmq_resident_memory_limit_bytes{{{rabbit}}})", "{{instance}} watermark")],
                          unit="bytes", width=8,
                          description="At the watermark the broker blocks every publisher (alert TqrRabbitmqMemoryAlarm)."),
                    Panel("RabbitMQ free disk against its limit",
                          [(f"min by (instance) (rabbitmq_disk_space_available_bytes{{{rabbit}}})", "{{instance}}"),
                           (f"max by (instance) (rabbitmq_disk_space_available_limit_bytes{{{rabbit}}})",
                            "{{instance}} limit")],
                          unit="bytes", width=8),
                    Panel("RabbitMQ alarms (1 = publishers blocked)",
                          [(f"max(rabbitmq_alarms_memory_used_watermark{{{rabbit}}})", "memory"),
                           (f"max(rabbitmq_alarms_free_disk_space_watermark{{{rabbit}}})", "disk")],
                          kind="stat", width=8),
                ],
            ),
            Row(
                "PostgreSQL and PgBouncer",
                [
                    Panel("PostgreSQL connections and max_connections",
                          [(f"sum by (pod) (cnpg_backends_total{{{postgres}}})", "{{pod}}"),
                           (f'max by (pod) (cnpg_pg_settings_setting{{{postgres}, name="max_connections"}})',
                            "{{pod}} max_connections")],
                          width=8, description="Alert TqrPostgresConnectionsNearLimit at 80 %; the budget: "
                                               "deploy/README.md, PostgreSQL connections."),
                    Panel("Connections by database and state",
                          [(f"sum by (datname, state) (cnpg_backends_total{{{postgres}}})", "{{datname}} {{state}}")],
                          width=8),
                    Panel("PgBouncer: clients active and waiting, servers in use",
                          [(f"sum by (pod) (cnpg_pgbouncer_pools_cl_active{{{bouncer}}})", "{{pod}} clients active"),
                           (f"sum by (pod) (cnpg_pgbouncer_pools_cl_waiting{{{bouncer}}})", "{{pod}} clients waiting"),
                           (f"sum by (pod) (cnpg_pgbouncer_pools_sv_active{{{bouncer}}})", "{{pod}} servers active")],
                          width=8, description="Clients waiting: every server connection of a pool is busy."),
                ],
            ),
            Row(
                "Redis",
                [
                    Panel("Redis up", [('max(redis_up{job="redis"})', "up")], kind="stat", width=4, height=8),
                    Panel("Redis memory against maxmemory",
                          [('max(redis_memory_used_bytes{job="redis"})', "used"),
                           ('max(redis_memory_max_bytes{job="redis"})', "maxmemory")],
                          unit="bytes", width=8,
                          description="At maxmemory (noeviction) writes fail: sign-ins and codes stop."),
                    Panel("Redis clients and commands per second",
                          [('max(redis_connected_clients{job="redis"})', "clients"),
                           ('sum(rate(redis_commands_processed_total{job="redis"}[$__rate_interval]))', "commands/s")],
                          width=6),
                    Panel("Redis pub/sub channels",
                          [('max(redis_pubsub_channels{job="redis"})', "channels")], width=6,
                          description="identity's announcements to the gateways' session caches."),
                ],
            ),
        ],
    )


DASHBOARDS = {
    "tqr-services.json": services_dashboard,
    "tqr-applicant-funnel.json": funnel_dashboard,
    "tqr-bus.json": bus_dashboard,
    "tqr-capacity.json": capacity_dashboard,
}


def rendered_files() -> dict[str, str]:
    return {
        name: json.dumps(render(build()), indent=2, ensure_ascii=False) + "\n" for name, build in DASHBOARDS.items()
    }


def config_maps(files: dict[str, str]) -> str:
    """The same dashboards as ConfigMaps for Grafana's sidecar, written as YAML by hand (a block
    scalar per file keeps the JSON readable in a diff)."""
    documents = []
    for name, text in files.items():
        body = "".join(f"    {line}\n" if line else "\n" for line in text.splitlines())
        documents.append(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n"
            f"  name: grafana-dashboard-{name.removesuffix('.json')}\n"
            "  labels:\n    grafana_dashboard: \"1\"\n"
            f"  annotations:\n    grafana_folder: {FOLDER}\n"
            f"data:\n  {name}: |\n{body}"
        )
    header = ("# Generated by deploy/grafana/build_dashboards.py from the same source as deploy/grafana/dashboards;"
              " do not edit.\n")
    return header + "---\n".join(documents)


def main(argv: list[str]) -> int:
    files = rendered_files()
    outputs = {OUT / name: text for name, text in files.items()}
    outputs[CONFIG_MAPS] = config_maps(files)
    stale = []
    for path, text in outputs.items():
        if "--check" in argv:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(path.name)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    if stale:
        print(f"stale dashboards: {', '.join(stale)}; run .venv/bin/python deploy/grafana/build_dashboards.py")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
