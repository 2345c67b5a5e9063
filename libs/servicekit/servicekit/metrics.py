"""Prometheus metrics every service exposes, defined once per process.

Labels are bounded: service names, RPC method names, event types, status codes, outcomes.
Nothing personal ever becomes a label.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram, start_http_server

_LATENCY_BUCKETS = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

GRPC_SERVER_REQUESTS = Counter(
    "tqr_grpc_server_requests_total", "RPCs handled, by outcome", ["service", "method", "code"]
)
GRPC_SERVER_DURATION = Histogram(
    "tqr_grpc_server_request_duration_seconds", "Time to handle an RPC", ["service", "method"],
    buckets=_LATENCY_BUCKETS,
)
GRPC_CLIENT_REQUESTS = Counter(
    "tqr_grpc_client_requests_total", "RPCs made to other services, by outcome", ["method", "code"]
)
GRPC_CLIENT_DURATION = Histogram(
    "tqr_grpc_client_request_duration_seconds", "Time until another service answered", ["method"],
    buckets=_LATENCY_BUCKETS,
)
EVENTS_PUBLISHED = Counter(
    "tqr_events_published_total", "Events confirmed by the broker", ["service", "event_type"]
)
EVENT_PUBLISH_FAILURES = Counter(
    "tqr_event_publish_failures_total", "Publishes the broker refused or did not confirm", ["service"]
)
EVENTS_CONSUMED = Counter(
    "tqr_events_consumed_total",
    "Events taken from the bus, by outcome (handled, duplicate, failed, malformed, forged)",
    ["service", "event_type", "outcome"],
)
EVENT_HANDLING_DURATION = Histogram(
    "tqr_event_handling_duration_seconds", "Time to handle one event", ["service", "event_type"],
    buckets=_LATENCY_BUCKETS,
)
OUTBOX_BACKLOG = Gauge("tqr_outbox_backlog", "Events written but not yet published", ["service"])
OUTBOX_OLDEST_AGE = Gauge(
    "tqr_outbox_oldest_age_seconds", "Age of the oldest unpublished event", ["service"]
)
GC_PAUSE = Histogram(
    "tqr_gc_pause_seconds", "Time the process stood still in one garbage collection", ["generation"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25),
)
SCHEDULED_JOB_RUNS = Counter(
    "tqr_scheduled_job_runs_total", "Scheduled job runs on this replica, by outcome (done, failed)",
    ["service", "job", "outcome"],
)
SCHEDULED_JOB_LAST_DONE = Gauge(
    "tqr_scheduled_job_last_done_timestamp_seconds",
    "When this replica last finished the job (Unix time); max over replicas is the job's last run",
    ["service", "job"],
)
SERVING = Gauge("tqr_serving", "1 while the service reports SERVING to health checks", ["service"])


def serve_metrics(port: int, host: str = "127.0.0.1") -> int:
    """Start the /metrics HTTP endpoint in a thread; returns the bound port (port 0 picks one)."""
    server, _thread = start_http_server(port, addr=host)
    return int(server.server_port)
