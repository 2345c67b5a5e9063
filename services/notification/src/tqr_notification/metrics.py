"""Metrics of the notification service (the shared ones come from servicekit.metrics)."""

from prometheus_client import Counter, Gauge

DELIVERIES = Counter(
    "tqr_notification_deliveries_total",
    "Delivery attempts by channel and how they ended (sent, failed, held, retry)",
    ["channel", "status"],
)
# The work waiting in the database: what KEDA scales notification on (k8s/base/notification.yaml).
# Every process reports the same figure for the whole database (read it with max, not sum).
DELIVERIES_DUE = Gauge(
    "tqr_notification_deliveries_due",
    "Deliveries whose time has come that no process has claimed yet, in the whole database "
    "(counted up to service_layer.dispatcher.DUE_COUNT_CAP)",
)
OLDEST_DUE_AGE = Gauge(
    "tqr_notification_oldest_due_age_seconds",
    "How long the longest-waiting unclaimed due delivery has been due",
)
# This process's own share of the work (read it with sum over the pods).
DELIVERIES_IN_FLIGHT = Gauge(
    "tqr_notification_deliveries_in_flight",
    "Deliveries this process has claimed and is sending or marking",
)
