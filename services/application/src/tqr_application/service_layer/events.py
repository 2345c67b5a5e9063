"""The integration events this service publishes (protos/tqr/application/v1/events.proto).

The only place they are built: each comes from one domain event the ``Application`` aggregate
recorded, and is staged in the outbox inside the transaction that stored the change.
"""

from __future__ import annotations

from datetime import datetime

from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp
from sqlalchemy.ext.asyncio import AsyncSession
from tqr.application.v1 import events_pb2, status_pb2

from tqr_application.adapters import plan_repository as plans_repo
from tqr_application.adapters import reference_repository as ref
from tqr_application.domain.application import (
    Application,
    DomainEvent,
    MessagePosted,
    SectionsChanged,
    StatusChanged,
    Submitted,
)
from tqr_application.domain.edits import edit_deadline
from tqr_application.domain.status import STATUS_INFO
from tqr_application.service_layer.context import ServiceContext


def _ts(instant: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(instant)
    return stamp


async def stage_recorded(ctx: ServiceContext, session: AsyncSession, app: Application) -> None:
    """Put the integration event of every domain event ``app`` recorded into the outbox."""
    for event in app.pull_events():
        await ctx.events.stage(session, await integration_event(session, app, event), aggregate_id=app.id)


async def integration_event(session: AsyncSession, app: Application, event: DomainEvent) -> Message:
    if isinstance(event, Submitted):
        return await _submitted(session, app, event)
    if isinstance(event, StatusChanged):
        return _status_changed(app, event)
    if isinstance(event, SectionsChanged):
        return events_pb2.ApplicationUpdated(
            application_id=app.id, application_number=app.application_number,
            applicant_id=app.applicant_id, changed_sections=list(event.sections), changed_at=_ts(event.at),
        )
    return _message_posted(app, event)


def _status_changed(app: Application, event: StatusChanged) -> events_pb2.ApplicationStatusChanged:
    change = event.change
    return events_pb2.ApplicationStatusChanged(
        application_id=app.id, application_number=app.application_number,
        applicant_id=app.applicant_id,
        from_status=status_pb2.ApplicationStatus.Value(change.from_status.value),
        to_status=status_pb2.ApplicationStatus.Value(change.to_status.value),
        status_label=STATUS_INFO[change.to_status].label_zh,
        reason=change.reason, missing_materials=list(change.missing_materials),
        actor_role=change.actor.role.value, authority_code=app.authority_code,
        point_code=app.point_code, changed_at=_ts(change.at),
    )


def _message_posted(app: Application, event: MessagePosted) -> events_pb2.MessagePosted:
    return events_pb2.MessagePosted(
        application_id=app.id, application_number=app.application_number, applicant_id=app.applicant_id,
        author_org_name=event.author_org_name, author_role=event.author.role.value, body=event.body,
        message_id=event.message_id, posted_at=_ts(event.at),
    )


async def _submitted(session: AsyncSession, app: Application, event: Submitted) -> events_pb2.ApplicationSubmitted:
    # The notification tells the applicant where and when to go, so it names the point and its window.
    authority = await ref.get_authority(session, app.authority_code)
    found = await ref.get_point(session, app.point_code)
    plan = await plans_repo.get_plan(session, app.plan_id)
    window = plan.window_of(app.point_code) if plan else None
    edit_until = edit_deadline(app.status, confirmation_end=window.confirm_end) if window else None
    return events_pb2.ApplicationSubmitted(
        application_id=app.id,
        application_number=app.application_number,
        applicant_id=app.applicant_id,
        applicant_name=app.applicant_name,
        authority_name=authority.name if authority else "",
        point_name=found[0].name if found else "",
        point_address=found[0].address if found else "",
        confirm_start=_ts(window.confirm_start) if window else None,
        confirm_end=_ts(window.confirm_end) if window else None,
        online_end=_ts(plan.online_end) if plan else None,
        authority_code=app.authority_code,
        point_code=app.point_code,
        certificate_number=app.certificate_number,
        submitted_at=_ts(event.at),
        edit_until=_ts(edit_until) if edit_until else None,
    )
