"""Domain metrics of the identity service (the shared ones come from servicekit.metrics)."""

from prometheus_client import Counter

LOGIN_THROTTLED = Counter("tqr_identity_login_throttled_total",
                          "Sign-ins refused because the account or the client is locked (R-ID-8)")
