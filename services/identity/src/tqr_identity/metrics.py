"""Domain metrics of the identity service (the shared ones come from servicekit.metrics)."""

from prometheus_client import Counter, Gauge, Histogram

LOGIN_THROTTLED = Counter("tqr_identity_login_throttled_total",
                          "Sign-ins refused because the account or the client is locked (R-ID-8)")

# R-ID-9: requests to the national identity authority (adapters.real_name_http), one per attempt.
REAL_NAME_REQUESTS = Counter(
    "tqr_identity_real_name_requests_total",
    "Requests to the identity authority by outcome (match, no_match, no_record, try_later, timeout, "
    "unreachable, server_error, rejected, bad_answer, cancelled, breaker_open)",
    ["outcome"],
)
REAL_NAME_LATENCY = Histogram(
    "tqr_identity_real_name_request_seconds",
    "Time from sending a request to the identity authority to its answer (or the attempt's deadline)",
    buckets=(0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0),
)
REAL_NAME_BREAKER_STATE = Gauge(
    "tqr_identity_real_name_breaker_state",
    "Circuit breaker in front of the identity authority: 0 closed, 1 half-open (probing), 2 open",
)

# R-STAFF-10: pending manual reviews past their due date (R-ID-9), counted by every replica at each
# scheduler pass (so max() over replicas is current); the ManualReviewsOverdue alert watches it.
MANUAL_REVIEWS_OVERDUE = Gauge(
    "tqr_identity_manual_reviews_overdue",
    "Pending manual reviews whose due date (7 working days) has passed",
)
