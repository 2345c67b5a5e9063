"""Writes the Grafana dashboards in deploy/grafana/dashboards/ from the short descriptions below.

    .venv/bin/python deploy/grafana/build_dashboards.py          rewrite the JSON files
    .venv/bin/python deploy/grafana/build_dashboards.py --check  exit 1 when a file is stale

Dashboards are generated so every panel has the same shape, ids and grid positions stay
consistent, and the PromQL lives in one readable place (tests/deploy checks that every metric
named here is one the services expose).
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parent / "dashboards"
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


DASHBOARDS = {
    "tqr-services.json": services_dashboard,
    "tqr-applicant-funnel.json": funnel_dashboard,
    "tqr-bus.json": bus_dashboard,
}


def rendered_files() -> dict[str, str]:
    return {
        name: json.dumps(render(build()), indent=2, ensure_ascii=False) + "\n" for name, build in DASHBOARDS.items()
    }


def main(argv: list[str]) -> int:
    stale = []
    for name, text in rendered_files().items():
        path = OUT / name
        if "--check" in argv:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(name)
        else:
            OUT.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    if stale:
        print(f"stale dashboards: {', '.join(stale)}; run .venv/bin/python deploy/grafana/build_dashboards.py")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
