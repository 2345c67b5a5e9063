"""The audit log's RPCs (R-STAFF-9) between protobuf and the service layer."""

from __future__ import annotations

from servicekit import audit_log as shared
from servicekit import vocabulary
from tqr.application.v1 import applications_pb2 as apb
from tqr.common.v1 import audit_pb2, vocabulary_pb2

from tqr_application.entrypoints import mappers
from tqr_application.service_layer.audit_log import Access, AuditQuery, AuditRow

SOURCE = "application"


def query_of(request: audit_pb2.AuditQuery) -> AuditQuery:
    return AuditQuery(
        target=request.target, staff_id=request.staff_id, action=request.action,
        since=shared.instant_of(request.since, request.HasField("since"), "since"),
        until=shared.instant_of(request.until, request.HasField("until"), "until"),
        page_size=request.page_size, page_token=request.page_token)


def _role(code: str) -> vocabulary_pb2.Role.ValueType:
    return vocabulary.value(vocabulary_pb2.Role, code)  # type: ignore[no-any-return]


def entry(row: AuditRow) -> audit_pb2.AuditEntry:
    return audit_pb2.AuditEntry(
        source=SOURCE, entry_id=str(row.id), at=mappers.ts(row.at), actor_id=row.actor_id,
        actor_role=_role(row.actor_role), actor_organisation=row.actor_org, action=row.action,
        target_type=row.target_type, target_id=row.target_id, detail=row.detail, cursor=row.cursor)


def page(rows: list[AuditRow], token: str) -> audit_pb2.AuditPage:
    return audit_pb2.AuditPage(entries=[entry(r) for r in rows], next_page_token=token)


def access(found: list[Access]) -> apb.ListApplicationAccessResponse:
    return apb.ListApplicationAccessResponse(entries=[
        apb.ApplicationAccess(at=mappers.ts(a.at), organisation_code=a.organisation_code,
                              organisation_name=a.organisation_name, changed=a.changed, action=a.action)
        for a in found])
