"""Events the documents service reacts to: each one may change what the form prints."""

from __future__ import annotations

from typing import Protocol

from servicekit.bus.consumer import EventContext, Subscription, subscriptions
from tqr.application.v1.events_pb2 import ApplicationStatusChanged, ApplicationSubmitted, ApplicationUpdated

from tqr_documents.service_layer.context import DocumentsContext
from tqr_documents.service_layer.render_ahead import render_ahead


class _AboutAnApplication(Protocol):
    application_id: str


def build_subscriptions(ctx: DocumentsContext) -> dict[str, Subscription]:
    async def on_application_event(event_ctx: EventContext, event: _AboutAnApplication) -> None:
        await render_ahead(ctx, event_ctx.session, event.application_id)

    return subscriptions(
        Subscription(ApplicationSubmitted, on_application_event),
        Subscription(ApplicationUpdated, on_application_event),
        # The status label is printed on the form.
        Subscription(ApplicationStatusChanged, on_application_event),
    )
