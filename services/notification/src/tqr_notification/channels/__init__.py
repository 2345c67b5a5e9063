"""Delivery channels: SMTP email, SMS providers and the development outbox.

Every ``send`` returns a :class:`tqr_notification.domain.delivery.DeliveryResult`; delivery failures
are values, not exceptions, so the caller can record them and decide about a retry.
"""
