"""What the admission control counts (Prometheus, on the gateway's metrics port)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

# standing: submission | wizard_step | sign_in | new_visitor | staff;
# outcome: admitted | queued (shown the waiting page) | shed (503, try again later).
ADMISSIONS = Counter("tqr_gateway_admissions_total", "Requests let in, queued or shed by the admission control",
                     ["standing", "outcome"])
IN_FLIGHT = Gauge("tqr_gateway_requests_in_flight", "Requests holding a slot of the concurrency limit")
LIMIT = Gauge("tqr_gateway_concurrency_limit", "The concurrency limit of this gateway process")
WAITING = Gauge("tqr_gateway_waiting_room_visitors", "Visitors in the waiting room (all gateways), as last seen here")
OLDEST = Gauge("tqr_gateway_waiting_room_oldest_wait_seconds",
               "How long the visitor at the head of the waiting room has waited, as last seen here")
PACE = Gauge("tqr_gateway_waiting_room_admissions_per_second",
             "Visitors let in from the waiting room per second over the last minute, as last seen here")
