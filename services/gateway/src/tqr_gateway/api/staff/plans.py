"""JSON API: plans of the admin's own authority (R-PLAN-1, R-STAFF-1), point notes (R-APP-4) and the
point's applicant export."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import Response
from tqr.application.v1 import application_pb2 as ref_pb

from tqr_gateway.api.problems import SERVICE_REFUSALS, api_router
from tqr_gateway.api.staff.common import beijing, problem_response
from tqr_gateway.api.staff.models import MaterialsChecklistIn, MaterialsChecklistOut, NotesIn, PlanIn, PlanOut
from tqr_gateway.clients.staff_application import PlanInput, PointWindowInput
from tqr_gateway.clients.staff_documents import XLSX
from tqr_gateway.deps import ApplicationStaff, AuthorityAdmin, StaffApplications, StaffDocuments, actor_metadata
from tqr_gateway.flows.downloads import xlsx_response
from tqr_gateway.flows.staff_rules import Problem

router = api_router("/api/v1/staff", "staff", SERVICE_REFUSALS)


def _plan_input(body: PlanIn) -> PlanInput:
    return PlanInput(body.name.strip(), beijing(body.online_start), beijing(body.online_end), tuple(
        PointWindowInput(p.point_code, beijing(p.confirm_start), beijing(p.confirm_end)) for p in body.points))


@router.get("/plans", response_model=list[PlanOut])
async def list_plans(request: Request, session: AuthorityAdmin, applications: StaffApplications) -> Any:
    return [PlanOut.of(p) for p in await applications.list_plans(metadata=actor_metadata(session))]


@router.post("/plans", response_model=PlanOut, status_code=201)
async def create_plan(request: Request, session: AuthorityAdmin, applications: StaffApplications, body: PlanIn) -> Any:
    if not body.name.strip():
        return problem_response(request, [Problem("name", "请填写计划名称", "Give the plan a name")], "R-PLAN-1")
    plan = await applications.create_plan(session.organisation_code, _plan_input(body),
                                                          metadata=actor_metadata(session))
    return PlanOut.of(plan)


@router.put("/plans/{plan_id}", response_model=PlanOut)
async def update_plan(request: Request, session: AuthorityAdmin, applications: StaffApplications, plan_id: str,
                      body: PlanIn) -> Any:
    plan = await applications.update_plan(plan_id, _plan_input(body), metadata=actor_metadata(session))
    return PlanOut.of(plan)


@router.put("/points/{point_code}/notes", status_code=204)
async def set_notes(request: Request, session: ApplicationStaff, applications: StaffApplications, point_code: str,
                    body: NotesIn) -> Response:
    await applications.set_point_notes(point_code, body.notes.strip(), metadata=actor_metadata(session))
    return Response(status_code=204)


@router.get("/materials-checklist", response_model=MaterialsChecklistOut)
async def materials_checklist(request: Request, session: ApplicationStaff, applications: StaffApplications,
                              authority_code: str = "") -> Any:
    """The checklist staff tick when materials are incomplete: the authority's own or the default."""
    found = await applications.materials_checklist(metadata=actor_metadata(session), authority_code=authority_code)
    return MaterialsChecklistOut.of(found)


@router.put("/materials-checklist", response_model=MaterialsChecklistOut)
async def set_materials_checklist(request: Request, session: AuthorityAdmin, applications: StaffApplications,
                                  body: MaterialsChecklistIn) -> Any:
    """The admin's own authority's checklist (audited); no items: the default again."""
    items = [ref_pb.MaterialItem(code=i.code.strip(), name_zh=i.name_zh.strip(), name_en=i.name_en.strip())
             for i in body.items]
    return MaterialsChecklistOut.of(await applications.set_materials_checklist(items, metadata=actor_metadata(session)))


@router.get("/points/{point_code}/export", response_class=Response,
            responses={200: {"content": {XLSX: {}}, "description": "The workbook"}})
async def export_point(request: Request, session: ApplicationStaff, documents: StaffDocuments,
                       point_code: str) -> Response:
    exported = await documents.export_point_applicants(point_code, metadata=actor_metadata(session))
    return xlsx_response(exported.content, exported.content_type, exported.filename, exported.display_filename)
