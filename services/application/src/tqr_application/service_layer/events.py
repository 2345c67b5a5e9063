"""Building the events this service publishes (protos/tqr/application/v1/events.proto)."""

from __future__ import annotations

from datetime import datetime

from tqr.application.v1 import events_pb2

from tqr_application.adapters.application_repository import ApplicationRecord
from tqr_application.domain.status import STATUS_INFO, TransitionRecord


def status_changed(record: ApplicationRecord, change: TransitionRecord) -> events_pb2.ApplicationStatusChanged:
    return events_pb2.ApplicationStatusChanged(
        application_id=record.id, application_number=record.application_number,
        applicant_id=record.applicant_id, from_status=change.from_status.value,
        to_status=change.to_status.value, status_label=STATUS_INFO[change.to_status].label_zh,
        reason=change.reason, missing_materials=list(change.missing_materials),
        actor_role=change.actor.role.value, authority_code=record.authority_code,
        point_code=record.point_code, changed_at=change.at.isoformat(),
    )


def updated(record: ApplicationRecord, sections: list[str], at: datetime) -> events_pb2.ApplicationUpdated:
    return events_pb2.ApplicationUpdated(
        application_id=record.id, application_number=record.application_number,
        applicant_id=record.applicant_id, changed_sections=sections, changed_at=at.isoformat(),
    )
