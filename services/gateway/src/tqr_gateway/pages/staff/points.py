"""Confirmation points: on-site notes (现场确认注意事项, R-APP-4) and the point's applicant list
as an Excel workbook. Authority admins see every point of their authority; point staff their own."""

from __future__ import annotations

import grpc
from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from tqr.application.v1 import application_pb2 as ref_pb

from tqr_gateway.clients.staff_application import StaffApplicationClient
from tqr_gateway.deps import ApplicationStaff, StaffApplications, StaffDocuments
from tqr_gateway.flows.downloads import xlsx_response
from tqr_gateway.flows.staff_rules import AUTHORITY_ADMIN, MAX_MESSAGE, Problem
from tqr_gateway.pages.staff.common import form_errors, metadata, refusal_problems, text_of
from tqr_gateway.pages.staff.navigation import page
from tqr_gateway.session import SessionInfo

router = APIRouter(include_in_schema=False)


async def visible_points(client: StaffApplicationClient, session: SessionInfo) -> list[ref_pb.ConfirmationPoint]:
    """The points this staff member works with (the service checks again on every change)."""
    md = metadata(session)
    if AUTHORITY_ADMIN in session.roles:
        return await client.list_points(session.organisation_code, metadata=md)
    # Point staff: their own point, looked up by its code (a point's code need not begin with its
    # authority's).
    own = await client.point(session.organisation_code, metadata=md)
    return [own or ref_pb.ConfirmationPoint(code=session.organisation_code, name=session.organisation_code)]


@router.get("/staff/points")
async def points(request: Request, session: ApplicationStaff, applications: StaffApplications,
                 done: str = "") -> Response:
    shown = [{"code": p.code, "name": p.name, "address": p.address, "phone": p.phone, "scope": p.scope,
              "notes": p.onsite_notes} for p in await visible_points(applications, session)]
    return page(request, session, "staff/points.html", section="staff.nav.points", context={
        "points": shown, "done": done if done in ("notes", "details") else "",
        # R-REF-2: the authority's admin changes its points' contact details (the service checks again).
        "may_edit_details": AUTHORITY_ADMIN in session.roles})


def _point_in(found: list[ref_pb.ConfirmationPoint], code: str) -> ref_pb.ConfirmationPoint | None:
    return next((p for p in found if p.code == code), None)


@router.get("/staff/points/{point_code}/notes")
async def notes_form(request: Request, session: ApplicationStaff, applications: StaffApplications,
                     point_code: str) -> Response:
    point = _point_in(await visible_points(applications, session), point_code)
    if point is None:
        return RedirectResponse("/staff/points", status_code=303)
    return page(request, session, "staff/point_notes.html", section="staff.nav.points", context={
        "point": {"code": point.code, "name": point.name}, "notes": point.onsite_notes, "errors": [],
        "field_errors": {}})


@router.post("/staff/points/{point_code}/notes")
async def save_notes(request: Request, session: ApplicationStaff, applications: StaffApplications,
                     point_code: str) -> Response:
    notes = text_of(await request.form(), "notes")
    problems: list[Problem] = []
    if len(notes) > MAX_MESSAGE * 2:
        problems.append(Problem("notes", f"注意事项不能超过 {MAX_MESSAGE * 2} 个字",
                                f"Notes may be at most {MAX_MESSAGE * 2} characters"))
    if not problems:
        try:
            await applications.set_point_notes(point_code, notes, metadata=metadata(session))
            return RedirectResponse("/staff/points?done=notes", status_code=303)
        except grpc.aio.AioRpcError as exc:
            problems = refusal_problems(exc, fallback_field="notes")
    errors, field_errors = form_errors(request, problems)
    return page(request, session, "staff/point_notes.html", section="staff.nav.points", status_code=422,
                context={"point": {"code": point_code, "name": point_code}, "notes": notes, "errors": errors,
                         "field_errors": field_errors})


@router.get("/staff/points/{point_code}/export.xlsx")
async def export(request: Request, session: ApplicationStaff, documents: StaffDocuments, point_code: str) -> Response:
    """The point's applicants as .xlsx; the documents service checks who may have it."""
    exported = await documents.export_point_applicants(point_code, metadata=metadata(session))
    return xlsx_response(exported.content, exported.content_type, exported.filename, exported.display_filename)

