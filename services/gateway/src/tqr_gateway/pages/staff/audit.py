"""审计日志 / Audit log (R-STAFF-9): authority admins search the audit rows of their organisation
(their authority and its points), system admins all of them; the services decide the scope from the
signed actor, so the page only passes the filters on.

The filters (application number or id, account or staff id, staff member, action, dates, source)
travel in the query string: none of them is an applicant's personal data. The results of the
application and identity services are merged newest first (``flows.audit_search``); the export
writes every row of the current filter as .xlsx with the values exactly as the page shows them
(document and mobile numbers masked by the services).
"""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any

import grpc
from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from tqr.common.v1 import audit_pb2

from tqr_gateway import vocabulary
from tqr_gateway.clients.audit import SOURCES, AuditClient
from tqr_gateway.deps import Audit, StaffIdentity, require_staff
from tqr_gateway.flows import audit_search
from tqr_gateway.flows.staff_rules import AUTHORITY_ADMIN, SYSTEM_ADMIN, Problem
from tqr_gateway.pages.staff.common import form_errors, metadata, refusal_problems
from tqr_gateway.pages.staff.navigation import page
from tqr_gateway.session import SessionInfo
from tqr_gateway.web.catalogue import translate
from tqr_gateway.web.formatting import CHINA_TZ
from tqr_gateway.web.language import language_of

router = APIRouter(include_in_schema=False)
AuditReader = Annotated[SessionInfo, Depends(require_staff(AUTHORITY_ADMIN, SYSTEM_ADMIN))]
SECTION = "staff.nav.audit"
PAGE_SIZE = 50
EXPORT_PAGE_SIZE = 200
EXPORT_MAX_ROWS = 10_000
MAX_FILTER = 100
FILTERS = ("target", "staff", "action", "since", "until", "source")
COLUMNS = ("at", "source", "organisation", "staff", "role", "action", "target", "detail")


def _filters(request: Request) -> dict[str, str]:
    return {name: request.query_params.get(name, "").strip() for name in FILTERS}


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _query(filters: dict[str, str], staff_ids: dict[str, str]) -> tuple[audit_pb2.AuditQuery, list[Problem]]:
    """The services' query from the form (China dates, the end date included); problems instead of
    a query when a value is unusable."""
    problems: list[Problem] = []
    for name in ("target", "staff", "action"):
        if len(filters[name]) > MAX_FILTER:
            problems.append(Problem(name, f"最多 {MAX_FILTER} 个字符", f"At most {MAX_FILTER} characters"))
    since, until = _day(filters["since"]), _day(filters["until"])
    if filters["since"] and since is None:
        problems.append(Problem("since", "请按 年-月-日 填写日期，例如 2026-03-01",
                                "Enter the date as year-month-day, for example 2026-03-01"))
    if filters["until"] and until is None:
        problems.append(Problem("until", "请按 年-月-日 填写日期，例如 2026-03-31",
                                "Enter the date as year-month-day, for example 2026-03-31"))
    if since and until and until < since:
        problems.append(Problem("until", "结束日期不能早于开始日期", "The end date cannot be before the start date"))
    if filters["source"] and filters["source"] not in SOURCES:
        problems.append(Problem("source", "请选择来源", "Choose a source"))
    query = audit_pb2.AuditQuery(target=filters["target"], action=filters["action"],
                                 staff_id=staff_ids.get(filters["staff"].lower(), filters["staff"]))
    if since and not problems:
        query.since.FromDatetime(datetime.combine(since, time(), CHINA_TZ).astimezone(UTC))
    if until and not problems:
        query.until.FromDatetime(datetime.combine(until + timedelta(days=1), time(), CHINA_TZ).astimezone(UTC))
    return query, problems


async def _staff_directory(identity: Any, session: SessionInfo) -> tuple[dict[str, str], dict[str, str]]:
    """(staff id → "name (username)", username → staff id) of the staff the caller manages, so the
    page can name people and a staff member can be searched for by username. Best effort: without
    identity the page shows ids."""
    try:
        members = await identity.staff(metadata=metadata(session))
    except grpc.aio.AioRpcError:
        return {}, {}
    names = {m.staff_id: f"{m.display_name}（{m.username}）" for m in members}
    return names, {m.username.lower(): m.staff_id for m in members}


def _label(lang: str, key: str, fallback: str) -> str:
    text = translate(lang, key)
    return fallback if text == key else text


def _row(entry: audit_pb2.AuditEntry, lang: str, names: dict[str, str], you: str) -> dict[str, str]:
    role = vocabulary.role_code(entry.actor_role)
    at = entry.at.ToDatetime(tzinfo=UTC).astimezone(CHINA_TZ)
    staff = translate(lang, "staff.audit.you") if entry.actor_id == you else names.get(entry.actor_id, entry.actor_id)
    target = f"{entry.target_type}: {entry.target_id}" if entry.target_type else entry.target_id
    return {
        "at": at.strftime("%Y-%m-%d %H:%M:%S"),
        "source": _label(lang, f"staff.audit.source.{entry.source}", entry.source),
        "organisation": entry.actor_organisation or "—",
        "staff": staff or "—",
        "role": _label(lang, f"staff.role.{role}", role) if role else "—",
        "action": _label(lang, f"staff.audit.action.{entry.action}", entry.action),
        "target": target or "—",
        "detail": entry.detail,
    }


def _columns(lang: str) -> list[dict[str, str]]:
    return [{"key": key, "label": translate(lang, f"staff.audit.col.{key}")} for key in COLUMNS]


def _sources(filters: dict[str, str]) -> tuple[str, ...]:
    return (filters["source"],) if filters["source"] in SOURCES else SOURCES


@router.get("/staff/audit")
async def audit_log(request: Request, session: AuditReader, audit: Audit, identity: StaffIdentity,
                    page_token: str = "") -> Response:
    lang = language_of(request)
    filters = _filters(request)
    names, usernames = await _staff_directory(identity, session)
    query, problems = _query(filters, usernames)
    rows: list[dict[str, str]] = []
    next_token = ""
    if not problems:
        try:
            found = await audit_search.search(audit, query, metadata=metadata(session), sources=_sources(filters),
                                              page_token=page_token, page_size=PAGE_SIZE)
            rows = [_row(e, lang, names, session.subject_id) for e in found.entries]
            next_token = found.next_token
        except audit_search.BadToken:
            problems = [Problem("main", "翻页链接无效，请重新查询", "The page link is not valid; search again")]
        except grpc.aio.AioRpcError as exc:
            problems = refusal_problems(exc, fallback_field="target")
    errors, field_errors = form_errors(request, problems)
    sources = [{"value": s, "text": translate(lang, f"staff.audit.source.{s}")} for s in SOURCES]
    kept = {k: v for k, v in filters.items() if v}
    return page(request, session, "staff/audit.html", section=SECTION, status_code=422 if errors else 200, context={
        "filters": filters, "kept": kept, "sources": sources, "rows": rows, "columns": _columns(lang),
        "next_token": next_token, "later_page": bool(page_token), "errors": errors,
        "field_errors": field_errors})


def _text_cell(sheet: Any, value: str, *, bold: bool = False) -> WriteOnlyCell:
    """Every value as text: a detail such as ``=HYPERLINK(...)`` stays a string (formula injection)."""
    cell = WriteOnlyCell(sheet, value=value)
    cell.data_type = "s"
    if bold:
        cell.font = Font(bold=True)
    return cell


def workbook(rows: list[dict[str, str]], columns: list[dict[str, str]], title: str, truncated_note: str) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title[:31])
    for index, width in enumerate((20, 10, 12, 26, 18, 22, 44, 60), start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.append([_text_cell(sheet, c["label"], bold=True) for c in columns])
    for row in rows:
        sheet.append([_text_cell(sheet, row[c["key"]]) for c in columns])
    if truncated_note:
        sheet.append([_text_cell(sheet, truncated_note, bold=True)])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def _all_rows(audit: AuditClient, query: audit_pb2.AuditQuery, session: SessionInfo, filters: dict[str, str],
                    lang: str, names: dict[str, str]) -> tuple[list[dict[str, str]], bool]:
    rows: list[dict[str, str]] = []
    token = ""
    while True:
        found = await audit_search.search(audit, query, metadata=metadata(session), sources=_sources(filters),
                                          page_token=token, page_size=EXPORT_PAGE_SIZE)
        rows.extend(_row(e, lang, names, session.subject_id) for e in found.entries)
        token = found.next_token
        if not token:
            return rows, False
        if len(rows) >= EXPORT_MAX_ROWS:
            return rows[:EXPORT_MAX_ROWS], True


@router.get("/staff/audit/export.xlsx")
async def export(request: Request, session: AuditReader, audit: Audit, identity: StaffIdentity) -> Response:
    lang = language_of(request)
    filters = _filters(request)
    names, usernames = await _staff_directory(identity, session)
    query, problems = _query(filters, usernames)
    if problems:
        return await audit_log(request, session, audit, identity)
    try:
        rows, truncated = await _all_rows(audit, query, session, filters, lang, names)
    except grpc.aio.AioRpcError as exc:
        refusal_problems(exc)  # faults go on to the error page
        return await audit_log(request, session, audit, identity)
    note = translate(lang, "staff.audit.export_truncated", limit=EXPORT_MAX_ROWS) if truncated else ""
    data = workbook(rows, _columns(lang), translate(lang, "staff.audit.title"), note)
    stamp = datetime.now(CHINA_TZ).strftime("%Y%m%d-%H%M")
    return Response(data, media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f'attachment; filename="audit-{stamp}.xlsx"',
                             "Cache-Control": "no-store"})
