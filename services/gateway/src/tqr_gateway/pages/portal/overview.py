"""/portal: the applicant's applications, one application in full, the inbox and the form download."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import grpc
from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from tqr.application.v1 import status_pb2

from tqr_gateway.clients.application import ApplicationClient
from tqr_gateway.clients.documents import DocumentsClient
from tqr_gateway.clients.notification import InboxClient
from tqr_gateway.clients.reference_memory import ReferenceAt
from tqr_gateway.deps import Applicant, Applications, Documents, Inbox, actor_metadata
from tqr_gateway.flows.downloads import FormFormat, stream_form
from tqr_gateway.pages.portal import views
from tqr_gateway.pages.wizard.common import page_errors
from tqr_gateway.pages.wizard.step_context import when
from tqr_gateway.session import SessionInfo
from tqr_gateway.web.formatting import paragraphs
from tqr_gateway.web.language import language_of
from tqr_gateway.web.templating import render

router = APIRouter()


def _instant(iso: str) -> datetime | None:
    try:
        value = datetime.fromisoformat(iso)
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


async def access_rows(client: ApplicationClient, application_id: str,
                      md: tuple[tuple[str, bytes], ...]) -> list[dict[str, object]] | None:
    """R-STAFF-9: which organisation looked at or changed the application, and when, never who (the
    service sends no staff identity). None when the service cannot say now (the page still works)."""
    try:
        found = await client.access(application_id, md)
    except grpc.aio.AioRpcError:
        return None
    return [{"at": when(e.at), "organisation": e.organisation_name or e.organisation_code,
             "what": "portal.access.changed" if e.changed else "portal.access.viewed"} for e in found.entries]


async def unread_count(inbox: InboxClient, md: tuple[tuple[str, bytes], ...]) -> int | None:
    """The badge; None when the notification service does not answer (the page still works)."""
    try:
        return await inbox.count_unread(md)
    except grpc.aio.AioRpcError:
        return None


@router.get("/portal")
async def my_applications(request: Request, session: Applicant, applications: Applications,
                          inbox_client: Inbox) -> Response:
    md = actor_metadata(session)
    mine = await applications.list_mine(md)
    rows = [{
        "number": a.application_number, "href": f"/portal/applications/{a.application_id}",
        "authority": a.authority_name, "status": views.status_context(request, a.status),
        "submitted": when(a.submitted_at),
    } for a in mine]
    return render(request, "portal/index.html", {"rows": rows, "unread": await unread_count(inbox_client, md)})


@router.get("/portal/applications/{application_id}")
async def application_detail(request: Request, application_id: str, session: Applicant,
                             applications: Applications, inbox_client: Inbox, documents: Documents,
                             updated: str = "") -> Response:
    """R-APP-1..5 on one page; another person's application answers 404 (the service says NOT_FOUND)."""
    context = await _detail_context(request, application_id, session, applications, inbox_client, documents,
                                    updated)
    return render(request, "portal/application.html", context)


async def _detail_context(request: Request, application_id: str, session: SessionInfo,
                          applications: ApplicationClient, inbox_client: InboxClient,
                          documents: DocumentsClient, updated: str = "") -> dict[str, Any]:
    md = actor_metadata(session)
    client = applications
    view = await client.get_mine(application_id, md)  # first: someone else's application ends here (404)
    # The rest asked together: the page is what people reload to follow their application, and
    # asked one after another its calls' waits added up.
    messages, names, unread, access, printout = await asyncio.gather(
        client.messages(application_id, md), _code_names(client.reference_at(view.reference_version)),
        unread_count(inbox_client, md), access_rows(client, application_id, md),
        documents.printout_status(application_id, md))
    context = {
        "application": view, "status": views.status_context(request, view.status),
        "timeline": views.timeline(request, view), "core_rows": views.core_rows(request, view),
        "answer_rows": views.answer_rows(request, view, names),
        "messages": [{"author": m.author_org_name or m.author_role, "body": m.body, "at": when(m.created_at)}
                     for m in messages.messages],
        "point_notes": [n for n in messages.point_notes if n.notes],
        "may_correct_authority": "AUTHORITY_AND_POINT" in view.editable_groups,
        "may_withdraw": status_pb2.WITHDRAW in view.allowed_actions,
        # R-SLOT-2 / R-SLOT-3: book again while waiting for the on-site check, before the cut-off.
        "may_rebook": view.HasField("slot") and view.slot.can_rebook
        and view.status.status in (status_pb2.SUBMITTED, status_pb2.MATERIALS_INCOMPLETE),
        "updated": updated, "unread": unread, "errors": [], "access": access,
        "printout": views.printout(request, printout, view),
    }
    return context


@router.post("/portal/applications/{application_id}/materials-ready")
async def materials_ready(request: Request, application_id: str, session: Applicant, applications: Applications,
                          inbox_client: Inbox, documents: Documents) -> Response:
    """Issue 19 item 19: the listed papers are ready; the point sees them marked to check."""
    version = str((await request.form()).get("version", ""))
    try:
        await applications.resubmit_materials(application_id, int(version) if version.isdigit() else 0,
                                              actor_metadata(session))
    except grpc.aio.AioRpcError as exc:
        errors = page_errors(request, exc)
        context = await _detail_context(request, application_id, session, applications, inbox_client, documents)
        context["errors"] = errors.summary
        return render(request, "portal/application.html", context, status_code=400)
    return RedirectResponse(f"/portal/applications/{application_id}?updated=materials", status_code=303)


async def _code_names(reference: ReferenceAt) -> dict[str, dict[str, str]]:
    """Names of the teaching stages and subjects; codes are shown when the lists cannot be read."""
    try:
        codes = await reference.code_lists()
    except grpc.aio.AioRpcError:
        return {}
    return {"stages": {c.code: c.name for c in codes.teaching_stages},
            "subjects": {c.code: c.name for c in codes.subjects}}


@router.get("/portal/applications/{application_id}/form")
async def download_form(request: Request, application_id: str, session: Applicant, documents: Documents,
                        format: FormFormat) -> Response:
    """R-APP-5: the form in the format the applicant picked, as an attachment."""
    return await stream_form(documents, session, application_id, format)


@router.get("/portal/inbox")
async def inbox(request: Request, session: Applicant, inbox_client: Inbox, page_token: str = "") -> Response:
    reply = await inbox_client.list_messages(actor_metadata(session), page_token=page_token,
                                             language=language_of(request))
    return render(request, "portal/inbox.html", {
        "messages": [{"id": m.message_id, "title": m.title, "paragraphs": paragraphs(m.body), "read": m.read,
                      "at": _instant(m.created_at)} for m in reply.messages],
        "unread": reply.unread, "next_page_token": reply.next_page_token,
    })


@router.post("/portal/inbox/{message_id}/read")
async def mark_read(request: Request, message_id: str, session: Applicant, inbox_client: Inbox) -> Response:
    await inbox_client.mark_read(message_id, actor_metadata(session))
    return RedirectResponse("/portal/inbox", status_code=303)
