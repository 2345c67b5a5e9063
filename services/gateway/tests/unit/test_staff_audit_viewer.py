"""审计日志 / Audit log pages (R-STAFF-9) against an in-process fake of the services' audit logs: only
authority and system admins reach it; the application and identity rows merge newest first and page
without repeats; filters reach the services as typed (dates in Beijing time, a username as its staff
id) and the scope only as the signed actor; the export holds exactly the page's values, masked."""

from __future__ import annotations

import html
import io
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from openpyxl import load_workbook
from tqr.common.v1 import audit_pb2
from tqr_gateway import deps, vocabulary
from tqr_gateway.web.language import LANG_COOKIE

from services.gateway.tests.unit.client_fakes import Recorder, actor_in
from services.gateway.tests.unit.staff_fakes import Console, console, ts

T0 = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)  # 10:00 in Beijing


def _entry(source: str, n: int, minutes: int, org: str, action: str, actor: str = "", detail: str = "",
           role: int = vocabulary.AUTHORITY_ADMIN) -> audit_pb2.AuditEntry:
    return audit_pb2.AuditEntry(source=source, entry_id=str(n), at=ts(T0 + timedelta(minutes=minutes)),
                                actor_id=actor or f"actor-{org}", actor_role=role, actor_organisation=org,
                                action=action, target_type="application", target_id=f"app-{n}", detail=detail,
                                cursor=f"{source}:{n}")


ROWS = {
    "application": [
        _entry("application", 1, 0, "110108", "VIEW_APPLICATION"),
        _entry("application", 2, 2, "11010801", "CONFIRM_ON_SITE", actor="staff-9", role=vocabulary.POINT_STAFF),
        _entry("application", 3, 4, "110108", "CORRECT_EMAIL",
               detail='=HYPERLINK("http://x.example","y") document: 1101**********002X; reason: 138****5678'),
        _entry("application", 4, 6, "110105", "VIEW_APPLICATION"),  # another authority
    ],
    "identity": [
        _entry("identity", 1, 1, "110108", "staff-create"),
        _entry("identity", 2, 3, "110108", "staff-password-reset"),
        _entry("identity", 3, 5, "11010801", "staff-enrolled", actor="staff-9", role=vocabulary.POINT_STAFF),
    ],
}


class FakeAudit:
    """Both services' SearchAuditLog / SearchStaffAudit, scoped by the signed actor as they are."""

    def __init__(self) -> None:
        self.calls = Recorder()

    async def search(self, source: str, query: audit_pb2.AuditQuery, *, metadata: Any) -> audit_pb2.AuditPage:
        self.calls.record("search", metadata, source=source, query=query)
        actor = actor_in(metadata)
        assert actor is not None
        rows = sorted(ROWS[source], key=lambda e: e.at.ToDatetime(), reverse=True)
        if actor.role == vocabulary.AUTHORITY_ADMIN:
            rows = [e for e in rows if e.actor_organisation.startswith(actor.organisation_code)]
        if query.staff_id:
            rows = [e for e in rows if e.actor_id == query.staff_id]
        if query.page_token:
            done = [e.cursor for e in rows].index(query.page_token) + 1
            rows = rows[done:]
        page = rows[:query.page_size]
        return audit_pb2.AuditPage(entries=page, next_page_token=page[-1].cursor if len(rows) > len(page) else "")


@pytest.fixture(scope="module")
def pages() -> Iterator[tuple[Console, FakeAudit]]:
    audit = FakeAudit()

    async def fake() -> FakeAudit:
        return audit

    with console() as running:
        running.client.app.dependency_overrides[deps.audit_client] = fake  # type: ignore[attr-defined]
        yield running, audit


def _cells(page: str) -> list[list[str]]:
    body = page[page.index("<tbody>"):page.index("</tbody>")]
    return [[html.unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
            for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)]


def test_r_staff_9_the_audit_log_is_for_authority_and_system_admins_only(pages) -> None:
    running, _ = pages
    for token in ("tok-admin", "tok-sysadmin"):
        running.sign_in(token)
        assert running.client.get("/staff/audit").status_code == 200
        assert 'href="/staff/audit"' in running.client.get("/staff").text
    for token in ("tok-point", "tok-reviewer"):
        running.sign_in(token)
        assert running.client.get("/staff/audit").status_code == 403
        assert running.client.get("/staff/audit/export.xlsx").status_code == 403
        assert 'href="/staff/audit"' not in running.client.get("/staff").text


def test_r_staff_9_rows_of_both_services_merge_newest_first_and_page_without_repeats(pages, monkeypatch) -> None:
    running, audit = pages
    from tqr_gateway.pages.staff import audit as audit_page
    monkeypatch.setattr(audit_page, "PAGE_SIZE", 2)
    running.sign_in("tok-admin")
    audit.calls.calls.clear()
    seen: list[list[str]] = []
    response = running.client.get("/staff/audit")
    while True:
        assert response.status_code == 200 and response.headers["cache-control"] == "no-store"
        seen.extend(_cells(response.text))
        found = re.search(r'<a rel="next" href="([^"]+)"', response.text)
        if not found:
            break
        response = running.client.get(found.group(1).replace("&amp;", "&"))
    # Beijing time, newest first, 110105's row not among them (the fake scopes as the services do).
    assert [(row[0][-8:-3], row[5]) for row in seen] == [
        ("10:05", "首次登录设置完成"), ("10:04", "更正申请人邮箱"), ("10:03", "重置工作人员密码"),
        ("10:02", "现场确认通过"), ("10:01", "新建工作人员账号"), ("10:00", "查看申请")]
    # A person the admin manages is named; the scope travelled only as the signed actor.
    assert seen[0][3] == "海淀二号确认点（point11010802）"
    assert {(c.role, c.organisation_code) for _, _, c in audit.calls.calls} == {(vocabulary.AUTHORITY_ADMIN, "110108")}


def test_r_staff_9_filters_reach_the_services_and_bad_dates_are_refused_beside_the_field(pages) -> None:
    running, audit = pages
    running.sign_in("tok-admin")
    audit.calls.calls.clear()
    response = running.client.get("/staff/audit", params={
        "target": "2026110108000123", "staff": "Point11010802", "action": "CONFIRM_ON_SITE",
        "since": "2026-03-10", "until": "2026-03-10", "source": "application"})
    assert response.status_code == 200
    (_, arguments, _), = audit.calls.calls  # the source asked for only
    query = arguments.query
    assert arguments.source == "application"
    assert (query.target, query.staff_id, query.action) == ("2026110108000123", "staff-9", "CONFIRM_ON_SITE")
    assert query.since.ToDatetime(tzinfo=UTC) == datetime(2026, 3, 9, 16, 0, tzinfo=UTC)  # 00:00 Beijing
    assert query.until.ToDatetime(tzinfo=UTC) == datetime(2026, 3, 10, 16, 0, tzinfo=UTC)  # the day included
    audit.calls.calls.clear()
    bad = running.client.get("/staff/audit", params={"since": "10/03/2026", "until": "2026-03-01",
                                                      "source": "elsewhere"})
    assert bad.status_code == 422 and "请按 年-月-日 填写日期" in bad.text and "请选择来源" in bad.text
    assert not audit.calls.calls
    running.client.cookies.set(LANG_COOKIE, "en")
    try:
        english = running.client.get("/staff/audit", params={"since": "x"})
    finally:
        running.client.cookies.delete(LANG_COOKIE)
    assert english.status_code == 422 and "Enter the date as year-month-day" in english.text
    tampered = running.client.get("/staff/audit", params={"page_token": "not-ours"})
    assert tampered.status_code == 422 and "翻页链接无效" in tampered.text


def test_r_staff_9_the_export_is_an_xlsx_of_the_whole_filter_with_the_pages_masked_values(pages) -> None:
    running, _ = pages
    running.sign_in("tok-admin")
    shown = _cells(running.client.get("/staff/audit").text)
    exported = running.client.get("/staff/audit/export.xlsx")
    assert exported.status_code == 200 and exported.headers["cache-control"] == "no-store"
    assert exported.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    assert exported.headers["content-disposition"].startswith('attachment; filename="audit-')
    sheet = load_workbook(io.BytesIO(exported.content)).active
    values = [[c if c is not None else "" for c in row] for row in sheet.iter_rows(values_only=True)]
    assert values[0] == ["时间（北京时间）", "来源", "机构代码", "工作人员", "角色", "操作", "对象", "详情"]
    assert values[1:] == shown and len(shown) == 6
    detail = next(row[7] for row in values if row[5] == "更正申请人邮箱")
    assert "1101**********002X" in detail and "138****5678" in detail and "11010519491231002X" not in detail
    cell = next(c for row in sheet.iter_rows() for c in row if str(c.value).startswith("=HYPERLINK"))
    assert cell.data_type == "s"  # a detail beginning with "=" stays text, never a formula
    narrowed = running.client.get("/staff/audit/export.xlsx", params={"source": "identity"})
    rows = list(load_workbook(io.BytesIO(narrowed.content)).active.iter_rows(values_only=True))[1:]
    assert {r[1] for r in rows} == {"账号与审核"} and len(rows) == 3
