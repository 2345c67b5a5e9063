"""JSON API: plans of the admin's own authority (R-PLAN-1, R-STAFF-1), point notes (R-APP-4) and the
point's applicant export."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import Response

from tqr_gateway.api.problems import SERVICE_REFUSALS, api_router
from tqr_gateway.api.staff.common import beijing, problem_response
from tqr_gateway.api.staff.models import NotesIn, PlanIn, PlanOut
from tqr_gateway.clients.staff_application import PlanInput, PointWindowInput
from tqr_gateway.clients.staff_documents import XLSX
from tqr_gateway.pages.staff.common import StaffSession, application_client, documents_client, metadata, refuse_unless
from tqr_gateway.pages.staff.points import xlsx_response
from tqr_gateway.pages.staff.rules import APPLICATION_STAFF, AUTHORITY_ADMIN, Problem

router = api_router("/api/v1/staff", "staff", SERVICE_REFUSALS)


def _plan_input(body: PlanIn) -> PlanInput:
    return PlanInput(body.name.strip(), beijing(body.online_start), beijing(body.online_end), tuple(
        PointWindowInput(p.point_code, beijing(p.confirm_start), beijing(p.confirm_end)) for p in body.points))


@router.get("/plans", response_model=list[PlanOut])
async def list_plans(request: Request, session: StaffSession) -> Any:
    if (refused := refuse_unless(request, session, AUTHORITY_ADMIN)) is not None:
        return refused
    return [PlanOut.of(p) for p in await application_client(request).list_plans(metadata=metadata(session))]


@router.post("/plans", response_model=PlanOut, status_code=201)
async def create_plan(request: Request, session: StaffSession, body: PlanIn) -> Any:
    if (refused := refuse_unless(request, session, AUTHORITY_ADMIN)) is not None:
        return refused
    if not body.name.strip():
        return problem_response(request, [Problem("name", "请填写计划名称", "Give the plan a name")], "R-PLAN-1")
    plan = await application_client(request).create_plan(session.organisation_code, _plan_input(body),
                                                          metadata=metadata(session))
    return PlanOut.of(plan)


@router.put("/plans/{plan_id}", response_model=PlanOut)
async def update_plan(request: Request, session: StaffSession, plan_id: str, body: PlanIn) -> Any:
    if (refused := refuse_unless(request, session, AUTHORITY_ADMIN)) is not None:
        return refused
    plan = await application_client(request).update_plan(plan_id, _plan_input(body), metadata=metadata(session))
    return PlanOut.of(plan)


@router.put("/points/{point_code}/notes", status_code=204)
async def set_notes(request: Request, session: StaffSession, point_code: str, body: NotesIn) -> Response:
    if (refused := refuse_unless(request, session, *APPLICATION_STAFF)) is not None:
        return refused
    await application_client(request).set_point_notes(point_code, body.notes.strip(), metadata=metadata(session))
    return Response(status_code=204)


@router.get("/points/{point_code}/export", response_class=Response,
            responses={200: {"content": {XLSX: {}}, "description": "The workbook"}})
async def export_point(request: Request, session: StaffSession, point_code: str) -> Response:
    if (refused := refuse_unless(request, session, *APPLICATION_STAFF)) is not None:
        return refused
    exported = await documents_client(request).export_point_applicants(point_code, metadata=metadata(session))
    return xlsx_response(exported.content, exported.content_type, exported.filename, exported.display_filename)
