"""Reference data changed from the console (R-REF-2) and imports checked before they are written
(R-REF-3). The application service decides who may change what and checks every value as its CSV
import does; these pages show its answers beside the fields.

- The guiding centre (SYSTEM_ADMIN): an authority's name, address and phone; the names in the code
  lists; a CSV import, first as a preview of what it would add (or its errors), then for real.
- An authority's admin: the address, phone and scope of its own confirmation points.

Between the preview and the import the files travel in the preview page itself (base64 in hidden
fields), so nothing is kept in the gateway; the import checks them all again.
"""

from __future__ import annotations

import base64
import binascii

import grpc
from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import UploadFile

from tqr_gateway.deps import ApplicationStaff, StaffApplications, SystemAdmin
from tqr_gateway.flows.staff_rules import Problem
from tqr_gateway.pages.staff.common import form_errors, metadata, refusal_problems, text_of
from tqr_gateway.pages.staff.navigation import page
from tqr_gateway.pages.staff.points import visible_points
from tqr_gateway.web.language import language_of

router = APIRouter(include_in_schema=False)

CODE_LISTS = ("teaching_stages", "subjects", "certificate_types")
# The files the console imports, in the order a batch is checked (parents before children).
IMPORT_FILES = ("regions.csv", "authorities.csv", "confirmation_points.csv", "teaching_stages.csv",
                "subjects.csv", "certificate_types.csv", "registry_certificates.csv")
_HIDDEN_PREFIX = "csv-"


# --- authorities ---------------------------------------------------------------------------------


@router.get("/staff/reference/authorities/{code}")
async def authority_form(request: Request, session: SystemAdmin, applications: StaffApplications,
                         code: str) -> Response:
    found = next((a for a in await applications.list_authorities(metadata=metadata(session)) if a.code == code), None)
    if found is None:
        return RedirectResponse("/staff/reference", status_code=303)
    values = {"name": found.name, "address": found.address, "phone": found.phone}
    return _authority_page(request, session, code, values, [])


@router.post("/staff/reference/authorities/{code}")
async def save_authority(request: Request, session: SystemAdmin, applications: StaffApplications,
                         code: str) -> Response:
    form = await request.form()
    values = {name: text_of(form, name) for name in ("name", "address", "phone")}
    try:
        await applications.update_authority(code, **values, metadata=metadata(session))
        return RedirectResponse("/staff/reference?done=authority", status_code=303)
    except grpc.aio.AioRpcError as exc:
        return _authority_page(request, session, code, values, refusal_problems(exc, fallback_field="name"))


def _authority_page(request: Request, session: SystemAdmin, code: str, values: dict[str, str],
                    problems: list[Problem]) -> Response:
    errors, field_errors = form_errors(request, problems)
    return page(request, session, "staff/reference_authority.html", section="staff.nav.reference",
                status_code=422 if problems else 200,
                context={"code": code, "values": values, "errors": errors, "field_errors": field_errors})


# --- code lists ----------------------------------------------------------------------------------


@router.get("/staff/reference/codes/{list_name}/{code}")
async def code_form(request: Request, session: SystemAdmin, applications: StaffApplications, list_name: str,
                    code: str) -> Response:
    entries = getattr(await applications.code_lists(metadata=metadata(session)), list_name) \
        if list_name in CODE_LISTS else []
    found = next((e for e in entries if e.code == code), None)
    if found is None:
        return RedirectResponse("/staff/reference", status_code=303)
    return _code_page(request, session, list_name, code, found.name, [])


@router.post("/staff/reference/codes/{list_name}/{code}")
async def save_code(request: Request, session: SystemAdmin, applications: StaffApplications, list_name: str,
                    code: str) -> Response:
    name = text_of(await request.form(), "name")
    try:
        await applications.rename_code(list_name, code, name, metadata=metadata(session))
        return RedirectResponse("/staff/reference?done=code", status_code=303)
    except grpc.aio.AioRpcError as exc:
        return _code_page(request, session, list_name, code, name, refusal_problems(exc, fallback_field="name"))


def _code_page(request: Request, session: SystemAdmin, list_name: str, code: str, name: str,
               problems: list[Problem]) -> Response:
    errors, field_errors = form_errors(request, problems)
    return page(request, session, "staff/reference_code.html", section="staff.nav.reference",
                status_code=422 if problems else 200,
                context={"list_name": list_name, "code": code, "name": name, "errors": errors,
                         "field_errors": field_errors})


# --- a point's contact details (its authority's admin, or the guiding centre) --------------------


@router.get("/staff/points/{point_code}/details")
async def point_form(request: Request, session: ApplicationStaff, applications: StaffApplications,
                     point_code: str) -> Response:
    point = next((p for p in await visible_points(applications, session) if p.code == point_code), None)
    if point is None:
        return RedirectResponse("/staff/points", status_code=303)
    values = {"address": point.address, "phone": point.phone, "scope": point.scope}
    return _point_page(request, session, point_code, point.name, values, [])


@router.post("/staff/points/{point_code}/details")
async def save_point(request: Request, session: ApplicationStaff, applications: StaffApplications,
                     point_code: str) -> Response:
    form = await request.form()
    values = {name: text_of(form, name) for name in ("address", "phone", "scope")}
    try:
        await applications.update_point(point_code, **values, metadata=metadata(session))
        return RedirectResponse("/staff/points?done=details", status_code=303)
    except grpc.aio.AioRpcError as exc:
        problems = refusal_problems(exc, fallback_field="address")
    return _point_page(request, session, point_code, text_of(form, "point_name") or point_code, values, problems)


def _point_page(request: Request, session: ApplicationStaff, code: str, name: str, values: dict[str, str],
                problems: list[Problem]) -> Response:
    errors, field_errors = form_errors(request, problems)
    return page(request, session, "staff/point_details.html", section="staff.nav.points",
                status_code=422 if problems else 200,
                context={"point": {"code": code, "name": name}, "values": values, "errors": errors,
                         "field_errors": field_errors})


# --- CSV import: preview, then import ------------------------------------------------------------


@router.get("/staff/reference/import")
async def import_form(request: Request, session: SystemAdmin) -> Response:
    return _import_page(request, session, [])


@router.post("/staff/reference/import")
async def import_files(request: Request, session: SystemAdmin, applications: StaffApplications) -> Response:
    """The first post (from the upload form) previews; the second (from the preview) imports."""
    form = await request.form()
    confirming = text_of(form, "step") == "import"
    files = _carried_files(form) if confirming else await _uploaded_files(form)
    if files is None or not files:
        problem = Problem("regions.csv", "请至少选择一个 CSV 文件（UTF-8 编码）",
                          "Choose at least one CSV file (UTF-8)")
        return _import_page(request, session, [problem])
    reply = await applications.import_reference(files, dry_run=not confirming, metadata=metadata(session))
    counts = [{"file": name, "count": reply.counts.get(name, 0)} for name in IMPORT_FILES if name in files]
    context = {
        "imported": reply.imported,
        "counts": counts,
        "rows": [{"file": r.file, "code": r.code, "name": r.name, "detail": r.detail} for r in reply.preview],
        "row_errors": [{"file": e.file, "row": e.row, "column": e.column,
                        "message": e.message_zh if _chinese(request) else e.message_en} for e in reply.errors],
        "carried": {f"{_HIDDEN_PREFIX}{name}": base64.b64encode(text.encode()).decode()
                    for name, text in files.items()},
    }
    return page(request, session, "staff/reference_import_result.html", section="staff.nav.reference",
                status_code=422 if reply.errors else 200, context=context)


def _import_page(request: Request, session: SystemAdmin, problems: list[Problem]) -> Response:
    errors, field_errors = form_errors(request, problems)
    return page(request, session, "staff/reference_import.html", section="staff.nav.reference",
                status_code=422 if problems else 200,
                context={"files": IMPORT_FILES, "errors": errors, "field_errors": field_errors})


async def _uploaded_files(form: object) -> dict[str, str] | None:
    """The chosen files as text; None when one is not UTF-8 (the person picks it again)."""
    files: dict[str, str] = {}
    for name in IMPORT_FILES:
        upload = form.get(name)  # type: ignore[attr-defined]
        if isinstance(upload, UploadFile) and upload.filename:
            try:
                files[name] = (await upload.read()).decode("utf-8-sig")
            except UnicodeDecodeError:
                return None
    return files


def _carried_files(form: object) -> dict[str, str] | None:
    files: dict[str, str] = {}
    for name in IMPORT_FILES:
        carried = form.get(f"{_HIDDEN_PREFIX}{name}")  # type: ignore[attr-defined]
        if isinstance(carried, str) and carried:
            try:
                files[name] = base64.b64decode(carried, validate=True).decode("utf-8")
            except (binascii.Error, UnicodeDecodeError):
                return None
    return files


def _chinese(request: Request) -> bool:
    return language_of(request) == "zh"
