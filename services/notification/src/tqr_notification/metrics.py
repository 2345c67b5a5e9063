"""Metrics of the notification service (the shared ones come from servicekit.metrics)."""

from prometheus_client import Counter

DELIVERIES = Counter(
    "tqr_notification_deliveries_total",
    "Delivery attempts by channel and how they ended (sent, failed, held, retry)",
    ["channel", "status"],
)
