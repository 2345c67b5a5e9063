"""Identity reviewers (R-STAFF-3): the manual-review queue of real-name verification (R-ID-9) and
the support-request queue (R-ID-10, R-ID-11), with the document photos served through the gateway
and never cached. A rejection says why: the applicant reads it."""

from __future__ import annotations

from typing import Any

import grpc
from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from tqr.identity.v1 import identity_pb2 as pb

from tqr_gateway import vocabulary
from tqr_gateway.clients.staff_identity import StaffIdentityClient
from tqr_gateway.deps import IdentityReviewer, StaffIdentity
from tqr_gateway.flows.photos import PHOTO_TYPES
from tqr_gateway.flows.staff_rules import Problem, check_decision
from tqr_gateway.pages.staff.common import form_errors, metadata, refusal_problems, text_of
from tqr_gateway.pages.staff.navigation import page, refused_page
from tqr_gateway.pages.staff.viewmodels import date_of
from tqr_gateway.session import SessionInfo
from tqr_gateway.web.catalogue import translate
from tqr_gateway.web.language import language_of

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 20


def _case(case: pb.ManualReviewCase, lang: str) -> dict[str, Any]:
    return {"id": case.case_id, "name": case.name, "document": case.masked_document_number,
            "document_type": translate(lang, f"staff.doctype.{vocabulary.document_type_code(case.document_type)}"),
            "status": vocabulary.review_status_code(case.status),
            "submitted": date_of(case.submitted_at, lang), "due": date_of(case.due_date, lang),
            "note": case.note, "photos": list(case.photo_ids), "reason": case.decision_reason,
            "href": f"/staff/reviews/{case.case_id}", "overdue": bool(case.escalated_at)}


def _request(item: pb.SupportRequest, lang: str) -> dict[str, Any]:
    code = vocabulary.gender_code(item.requested_gender)
    gender = translate(lang, f"gender.{code}") if code else ""
    wanted = [v for v in (item.requested_name, gender, item.requested_email, item.requested_masked_mobile) if v]
    return {"id": item.request_id, "name": item.name, "document": item.masked_document_number,
            "kind": translate(lang, f"staff.support.kind.{item.kind}"),
            "status": vocabulary.review_status_code(item.status),
            "wanted": "；".join(wanted), "explanation": item.explanation,
            "submitted": date_of(item.created_at, lang), "photos": list(item.photo_ids),
            "reason": item.decision_reason, "href": f"/staff/support/{item.request_id}",
            "without_sign_in": item.without_sign_in, "claimed_name": item.claimed_name}


LAST_PAGE = 100_000  # far beyond any queue; keeps the number inside the service's 32-bit field


def _page_number(text: str) -> int:
    """The 1-based page of the link, as the service's 0-based page."""
    return min(int(text), LAST_PAGE) - 1 if text.isdigit() and int(text) > 0 else 0


async def _queue_page(request: Request, session: SessionInfo, client: StaffIdentityClient, kind: str, page_no: str,
                      done: str) -> Response:
    """One page of a queue: manual reviews (``kind`` "reviews") or support requests ("support")."""
    md, lang, number = metadata(session), language_of(request), _page_number(page_no)
    rows: list[dict[str, Any]]
    if kind == "reviews":
        cases, total = await client.manual_reviews(metadata=md, page=number, page_size=PAGE_SIZE)
        rows = [_case(c, lang) for c in cases]
    else:
        found, total = await client.support_requests(metadata=md, page=number, page_size=PAGE_SIZE)
        rows = [_request(r, lang) for r in found]
    return page(request, session, "staff/reviews.html", section=f"staff.nav.{kind}", context={
        "rows": rows, "total": total, "page_no": number + 1, "pages": max(1, -(-total // PAGE_SIZE)),
        "done": done in ("APPROVED", "REJECTED"), "kind": kind, "title": translate(lang, f"staff.{kind}.title")})


@router.get("/staff/reviews")
async def review_queue(request: Request, session: IdentityReviewer, identity: StaffIdentity, page_no: str = Query("1",
                       alias="page"),
                       done: str = "") -> Response:
    return await _queue_page(request, session, identity, "reviews", page_no, done)


@router.get("/staff/support")
async def support_queue(request: Request, session: IdentityReviewer, identity: StaffIdentity,
                        page_no: str = Query("1", alias="page"),
                        done: str = "") -> Response:
    return await _queue_page(request, session, identity, "support", page_no, done)


async def _decision_page(request: Request, session: SessionInfo, client: StaffIdentityClient, kind: str, item_id: str,
                         problems: list[Problem] | None = None, decision: str = "", reason: str = "",
                         revealed: str = "") -> Response:
    md, lang = metadata(session), language_of(request)
    if kind == "reviews":
        case = await client.manual_review(item_id, metadata=md)
        item = _case(case, lang) if case else None
    else:
        found = await client.support_request(item_id, metadata=md)
        item = _request(found, lang) if found else None
    if item is None:
        return RedirectResponse(f"/staff/{kind}", status_code=303)
    errors, field_errors = form_errors(request, problems or [])
    section = "staff.nav.reviews" if kind == "reviews" else "staff.nav.support"
    return page(request, session, "staff/decide.html", section=section, status_code=422 if errors else 200,
                context={"item": item, "kind": kind, "title": translate(lang, f"staff.decide.{kind}.title"),
                         "decision": decision, "reason": reason, "errors": errors,
                         "field_errors": field_errors, "revealed_document": revealed})


@router.get("/staff/reviews/{case_id}")
async def review_case(request: Request, session: IdentityReviewer, identity: StaffIdentity, case_id: str) -> Response:
    return await _decision_page(request, session, identity, "reviews", case_id)


@router.post("/staff/reviews/{case_id}/document-number")
async def reveal_case_document_number(request: Request, session: IdentityReviewer, identity: StaffIdentity,
                                      case_id: str) -> Response:
    """R-STAFF-3: the reviewer compares the number in full with the photo of the document; identity
    audits the reveal. The page is never cached and the number is in no URL."""
    try:
        number = await identity.reveal_case_document_number(case_id, metadata=metadata(session))
    except grpc.aio.AioRpcError as exc:
        return refused_page(request, session, exc)
    return await _decision_page(request, session, identity, "reviews", case_id, revealed=number)


@router.get("/staff/support/{request_id}")
async def support_request(request: Request, session: IdentityReviewer, identity: StaffIdentity,
                          request_id: str) -> Response:
    return await _decision_page(request, session, identity, "support", request_id)


async def _decide(request: Request, session: SessionInfo, client: StaffIdentityClient, kind: str,
                  item_id: str) -> Response:
    form = await request.form()
    decision, reason = text_of(form, "decision"), text_of(form, "reason")
    problems = check_decision(decision, reason)
    if not problems:
        md = metadata(session)
        try:
            if kind == "reviews":
                await client.decide_manual_review(item_id, decision, reason, metadata=md)
            else:
                await client.decide_support_request(item_id, decision, reason, metadata=md)
            return RedirectResponse(f"/staff/{kind}?done={decision}", status_code=303)
        except grpc.aio.AioRpcError as exc:
            problems = refusal_problems(exc, fallback_field="decision")
    return await _decision_page(request, session, client, kind, item_id, problems, decision, reason)


@router.post("/staff/reviews/{case_id}")
async def decide_review(request: Request, session: IdentityReviewer, identity: StaffIdentity, case_id: str) -> Response:
    return await _decide(request, session, identity, "reviews", case_id)


@router.post("/staff/support/{request_id}")
async def decide_support(request: Request, session: IdentityReviewer, identity: StaffIdentity,
                         request_id: str) -> Response:
    return await _decide(request, session, identity, "support", request_id)


@router.get("/staff/photos/{photo_id}")
async def case_photo(request: Request, session: IdentityReviewer, identity: StaffIdentity, photo_id: str) -> Response:
    """A document photo of a case: only reviewers, never cached, never sniffed as anything but an image."""
    photo = await identity.case_photo(photo_id, metadata=metadata(session))
    media = photo.content_type if photo.content_type in PHOTO_TYPES else "application/octet-stream"
    return Response(photo.content, media_type=media, headers={
        "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff",
        "Content-Disposition": "inline"})
