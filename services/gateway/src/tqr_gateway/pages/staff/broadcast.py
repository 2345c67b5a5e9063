"""Broadcast (群发消息, R-STAFF-7): an authority admin writes to every applicant of one of its plans or
points, point staff to the applicants of their point, filtered by status.

Three steps, each a POST so the text never travels in a URL: compose → preview (the application
service counts the recipients and returns the text as it will be sent; nothing is written) → send.
The preview page carries the draft in hidden fields with the count it showed and a fresh
idempotency key: a second click, or a reload of the send, sends nothing more, and a count that
changed since the preview sends nothing and says the new count.
"""

from __future__ import annotations

import uuid
from typing import Any

import grpc
from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from tqr_gateway.clients.staff_application import StaffApplicationClient
from tqr_gateway.clients.staff_broadcast import BroadcastDraft
from tqr_gateway.clients.workflow_rules import WorkflowRules
from tqr_gateway.deps import ApplicationStaff, StaffApplications, StaffBroadcasts, Workflow
from tqr_gateway.flows.staff_rules import AUTHORITY_ADMIN, Problem
from tqr_gateway.pages.staff.common import form_errors, metadata, refusal_problems, text_of
from tqr_gateway.pages.staff.navigation import page, refused_page
from tqr_gateway.pages.staff.points import visible_points
from tqr_gateway.session import SessionInfo
from tqr_gateway.web.catalogue import translate
from tqr_gateway.web.language import language_of

router = APIRouter(include_in_schema=False)
SECTION = "staff.nav.broadcast"
TEXT_FIELDS = ("subject_zh", "body_zh", "subject_en", "body_en")


def draft_of(form: FormData) -> BroadcastDraft:
    statuses = tuple(s for s in (str(v).strip() for v in form.getlist("statuses")) if s)
    return BroadcastDraft(text_of(form, "audience"), statuses, *(text_of(form, f) for f in TEXT_FIELDS))


async def _audiences(client: StaffApplicationClient, session: SessionInfo, lang: str) -> list[dict[str, str]]:
    """The plans and points this staff member may write to (the service checks again)."""
    md = metadata(session)
    choices: list[dict[str, str]] = []
    if AUTHORITY_ADMIN in session.roles:
        for plan in await client.list_plans(metadata=md, authority_code=session.organisation_code):
            choices.append({"value": f"plan:{plan.plan_id}",
                            "text": translate(lang, "broadcast.audience.plan", name=plan.name)})
    for point in await visible_points(client, session):
        choices.append({"value": f"point:{point.code}",
                        "text": translate(lang, "broadcast.audience.point", name=point.name, code=point.code)})
    return choices


async def _compose(request: Request, session: SessionInfo, client: StaffApplicationClient, rules: WorkflowRules,
                   draft: BroadcastDraft | None = None, problems: list[Problem] | None = None) -> Response:
    lang = language_of(request)
    errors, field_errors = form_errors(request, problems or [])
    chosen = set(draft.statuses) if draft else set()
    statuses = [{"value": s, "text": translate(lang, f"staff.status.{s}"), "checked": s in chosen}
                for s in rules.statuses]
    return page(request, session, "staff/broadcast_compose.html", section=SECTION,
                status_code=422 if problems else 200, context={
                    "audiences": await _audiences(client, session, lang), "statuses": statuses, "draft": draft,
                    "errors": errors, "field_errors": field_errors})


@router.get("/staff/broadcast")
async def compose(request: Request, session: ApplicationStaff, applications: StaffApplications,
                  rules: Workflow) -> Response:
    return await _compose(request, session, applications, rules)


@router.post("/staff/broadcast")
async def change(request: Request, session: ApplicationStaff, applications: StaffApplications,
                 rules: Workflow) -> Response:
    """Back from the preview with the draft, to change it."""
    return await _compose(request, session, applications, rules, draft_of(await request.form()))


def _problems_in(draft: BroadcastDraft) -> list[Problem]:
    if not draft.audience.startswith(("plan:", "point:")):
        return [Problem("audience", "请选择收件人范围：一个注册计划或一个确认点",
                        "Choose who receives it: one registration plan or one point")]
    return []


def _preview_context(request: Request, draft: BroadcastDraft, rules: WorkflowRules, reply: Any,
                     *, key: str) -> dict[str, Any]:
    lang = language_of(request)
    labels = [translate(lang, f"staff.status.{s}") for s in rules.statuses if s in draft.statuses]
    text = reply.text
    return {
        "draft": draft, "count": reply.recipient_count, "audience_label": reply.audience_label,
        "status_labels": labels or [translate(lang, "broadcast.statuses.all")],
        "org": reply.author_org_name, "key": key,
        "zh": {"subject": text.subject_zh, "body": text.body_zh.split("\n")},
        "en": {"subject": text.subject_en or text.subject_zh, "body": (text.body_en or text.body_zh).split("\n")},
        "has_english": bool(text.subject_en),
    }


@router.post("/staff/broadcast/preview")
async def preview(request: Request, session: ApplicationStaff, applications: StaffApplications,
                  broadcasts: StaffBroadcasts, rules: Workflow) -> Response:
    draft = draft_of(await request.form())
    problems = _problems_in(draft)
    if not problems:
        try:
            reply = await broadcasts.preview(draft, metadata=metadata(session))
        except grpc.aio.AioRpcError as exc:
            if exc.code() in (grpc.StatusCode.PERMISSION_DENIED, grpc.StatusCode.NOT_FOUND):
                return refused_page(request, session, exc)
            problems = refusal_problems(exc, fallback_field="audience")
        else:
            return page(request, session, "staff/broadcast_preview.html", section=SECTION,
                        context=_preview_context(request, draft, rules, reply, key=uuid.uuid4().hex))
    return await _compose(request, session, applications, rules, draft, problems)


@router.post("/staff/broadcast/send")
async def send(request: Request, session: ApplicationStaff, applications: StaffApplications,
               broadcasts: StaffBroadcasts, rules: Workflow) -> Response:
    form = await request.form()
    draft = draft_of(form)
    expected = text_of(form, "expected_count")
    try:
        sent = await broadcasts.send(draft, idempotency_key=text_of(form, "idempotency_key"),
                                     expected_count=int(expected) if expected.isdigit() else 0,
                                     metadata=metadata(session))
    except grpc.aio.AioRpcError as exc:
        if exc.code() in (grpc.StatusCode.PERMISSION_DENIED, grpc.StatusCode.NOT_FOUND):
            return refused_page(request, session, exc)
        return await _compose(request, session, applications, rules, draft,
                              refusal_problems(exc, fallback_field="audience"))
    return RedirectResponse(f"/staff/broadcast/sent?count={sent.recipient_count}", status_code=303)


@router.get("/staff/broadcast/sent")
async def sent_page(request: Request, session: ApplicationStaff, count: int = 0) -> Response:
    return page(request, session, "staff/broadcast_sent.html", section=SECTION, context={"count": max(0, count)})
