"""JSON API of identity reviewers (R-STAFF-3): manual reviews, support requests, case photos."""

from __future__ import annotations

from typing import Any

from fastapi import Query, Request
from fastapi.responses import Response

from tqr_gateway.api.fields import INT32_MAX
from tqr_gateway.api.problems import SERVICE_REFUSALS, api_router
from tqr_gateway.api.staff.common import problem_response
from tqr_gateway.api.staff.models import (
    DecisionIn,
    ReviewCaseOut,
    ReviewQueueOut,
    SupportQueueOut,
    SupportRequestOut,
)
from tqr_gateway.deps import IdentityReviewer, StaffIdentity, actor_metadata
from tqr_gateway.flows.photos import PHOTO_TYPES
from tqr_gateway.flows.staff_rules import check_decision

router = api_router("/api/v1/staff", "staff", SERVICE_REFUSALS)


@router.get("/manual-reviews", response_model=ReviewQueueOut)
async def manual_reviews(request: Request, session: IdentityReviewer, identity: StaffIdentity, status: str = "PENDING",
                         page: int = Query(0, ge=0, le=INT32_MAX), page_size: int = Query(20, ge=1, le=100)) -> Any:
    cases, total = await identity.manual_reviews(metadata=actor_metadata(session), status=status,
                                                                 page=page, page_size=page_size)
    return ReviewQueueOut(cases=[ReviewCaseOut.of(c) for c in cases], total=total)


@router.post("/manual-reviews/{case_id}/decision", response_model=ReviewCaseOut)
async def decide_manual_review(request: Request, session: IdentityReviewer, identity: StaffIdentity, case_id: str,
                               body: DecisionIn) -> Any:
    if problems := check_decision(body.decision, body.reason):
        return problem_response(request, problems, "R-STAFF-3")
    case = await identity.decide_manual_review(case_id, body.decision, body.reason.strip(),
                                                               metadata=actor_metadata(session))
    return ReviewCaseOut.of(case)


@router.get("/support-requests", response_model=SupportQueueOut)
async def support_requests(request: Request, session: IdentityReviewer, identity: StaffIdentity,
                           status: str = "PENDING",
                           page: int = Query(0, ge=0, le=INT32_MAX), page_size: int = Query(20, ge=1, le=100)) -> Any:
    found, total = await identity.support_requests(metadata=actor_metadata(session), status=status,
                                                                    page=page, page_size=page_size)
    return SupportQueueOut(requests=[SupportRequestOut.of(r) for r in found], total=total)


@router.post("/support-requests/{request_id}/decision", response_model=SupportRequestOut)
async def decide_support_request(request: Request, session: IdentityReviewer, identity: StaffIdentity, request_id: str,
                                 body: DecisionIn) -> Any:
    if problems := check_decision(body.decision, body.reason):
        return problem_response(request, problems, "R-STAFF-3")
    item = await identity.decide_support_request(request_id, body.decision, body.reason.strip(),
                                                                 metadata=actor_metadata(session))
    return SupportRequestOut.of(item)


@router.get("/photos/{photo_id}", response_class=Response,
            responses={200: {"content": {"image/jpeg": {}, "image/png": {}}, "description": "The photo"}})
async def case_photo(request: Request, session: IdentityReviewer, identity: StaffIdentity, photo_id: str) -> Response:
    photo = await identity.case_photo(photo_id, metadata=actor_metadata(session))
    media = photo.content_type if photo.content_type in PHOTO_TYPES else "application/octet-stream"
    return Response(photo.content, media_type=media,
                    headers={"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"})
