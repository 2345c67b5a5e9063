"""Staff administration in the console (R-STAFF-5): system admins manage authority admins and
reviewers, authority admins the staff of their authority and its points; both unlock an applicant's
sign-in. The identity service decides who may change whom and audits every change; the console only
offers the roles the caller can give. A setup code is shown once, on the answer to the action that
made it, and never stored by the gateway."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import grpc
from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from servicekit.text import normalise_number
from tqr.common.v1 import vocabulary_pb2
from tqr.identity.v1 import identity_pb2 as pb

from tqr_gateway import vocabulary
from tqr_gateway.deps import StaffIdentity, require_staff
from tqr_gateway.flows.staff_rules import AUTHORITY_ADMIN, IDENTITY_REVIEWER, POINT_STAFF, SYSTEM_ADMIN, Problem
from tqr_gateway.pages.staff.common import form_errors, metadata, refusal_problems, text_of
from tqr_gateway.pages.staff.navigation import page, refused_page
from tqr_gateway.session import SessionInfo
from tqr_gateway.web.catalogue import translate
from tqr_gateway.web.formatting import CHINA_TZ
from tqr_gateway.web.language import language_of

router = APIRouter(include_in_schema=False)
StaffAdmin = Annotated[SessionInfo, Depends(require_staff(SYSTEM_ADMIN, AUTHORITY_ADMIN))]
SECTION = "staff.nav.people"
# The roles each administrator may give (the service enforces the same and the organisation).
ROLES_GIVEN_BY = {SYSTEM_ADMIN: (AUTHORITY_ADMIN, IDENTITY_REVIEWER), AUTHORITY_ADMIN: (AUTHORITY_ADMIN, POINT_STAFF)}
ACTIONS = ("disable", "enable", "reset-password", "reset-totp")
FIELDS = ("username", "display-name", "role", "organisation-code")


def _roles_for(session: SessionInfo) -> list[str]:
    given: list[str] = []
    for role in session.roles:
        for code in ROLES_GIVEN_BY.get(role, ()):
            if vocabulary.role_code(code) not in given:
                given.append(vocabulary.role_code(code))
    return given


def _role_options(session: SessionInfo, lang: str) -> list[dict[str, str]]:
    return [{"value": code, "text": translate(lang, f"staff.role.{code}")} for code in _roles_for(session)]


def _member(member: pb.StaffMember, lang: str) -> dict[str, Any]:
    role = vocabulary.role_code(member.role)
    state = "disabled" if not member.active else "enrolling" if member.must_enrol else "active"
    return {"id": member.staff_id, "username": member.username, "name": member.display_name, "role": role,
            "role_label": translate(lang, f"staff.role.{role}"), "organisation": member.organisation_code,
            "active": member.active, "state": translate(lang, f"staff.people.state.{state}"),
            "recovery_left": member.recovery_codes_left, "href": f"/staff/people/{member.staff_id}"}


async def _list_page(request: Request, session: SessionInfo, identity: Any, *, values: dict[str, str] | None = None,
                     problems: list[Problem] | None = None, done: str = "") -> Response:
    lang = language_of(request)
    members = [_member(m, lang) for m in await identity.staff(metadata=metadata(session))]
    errors, field_errors = form_errors(request, problems or [])
    return page(request, session, "staff/people.html", section=SECTION, status_code=422 if errors else 200,
                context={"members": members, "roles": _role_options(session, lang), "values": values or {},
                         "errors": errors, "field_errors": field_errors, "done": done})


@router.get("/staff/people")
async def people(request: Request, session: StaffAdmin, identity: StaffIdentity, done: str = "") -> Response:
    return await _list_page(request, session, identity, done=done)


def _required(values: dict[str, str], names: tuple[str, ...]) -> list[Problem]:
    messages = {"username": ("请填写用户名", "Enter a username"), "display-name": ("请填写姓名", "Enter the name"),
                "role": ("请选择角色", "Choose a role")}
    return [Problem(name, *messages[name]) for name in names if name in messages and not values.get(name)]


def _setup_code_page(request: Request, session: SessionInfo, reply: pb.StaffSetupCodeResponse, why: str) -> Response:
    lang = language_of(request)
    expires = ""
    if reply.setup_code_expires_at:
        expires = datetime.fromisoformat(reply.setup_code_expires_at).astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M")
    return page(request, session, "staff/setup_code.html", section=SECTION, context={
        "member": _member(reply.staff, lang), "code": reply.setup_code, "expires": expires, "why": why,
        "enrol_url": str(request.base_url).rstrip("/") + "/staff/enrol"})


@router.post("/staff/people")
async def create_person(request: Request, session: StaffAdmin, identity: StaffIdentity) -> Response:
    form = await request.form()
    values = {name: text_of(form, name) for name in FIELDS}
    problems = _required(values, ("username", "display-name", "role"))
    if values["role"] and values["role"] not in _roles_for(session):
        problems.append(Problem("role", "请选择您可以授予的角色", "Choose a role you can give"))
    if problems:
        return await _list_page(request, session, identity, values=values, problems=problems)
    try:
        reply = await identity.create_staff(username=values["username"], display_name=values["display-name"],
                                            role=values["role"], organisation_code=values["organisation-code"],
                                            metadata=metadata(session))
    except grpc.aio.AioRpcError as exc:
        return await _list_page(request, session, identity, values=values,
                                problems=refusal_problems(exc, fallback_field="username"))
    return _setup_code_page(request, session, reply, "created")


async def _find(identity: Any, session: SessionInfo, staff_id: str) -> pb.StaffMember | None:
    return next((m for m in await identity.staff(metadata=metadata(session)) if m.staff_id == staff_id), None)


async def _person_page(request: Request, session: SessionInfo, identity: Any, staff_id: str, *,
                       values: dict[str, str] | None = None, problems: list[Problem] | None = None,
                       done: str = "") -> Response:
    found = await _find(identity, session, staff_id)
    if found is None:
        return RedirectResponse("/staff/people", status_code=303)
    lang = language_of(request)
    member = _member(found, lang)
    errors, field_errors = form_errors(request, problems or [])
    shown = values or {"display-name": member["name"], "role": member["role"],
                       "organisation-code": member["organisation"]}
    return page(request, session, "staff/person.html", section=SECTION, status_code=422 if errors else 200,
                context={"member": member, "roles": _role_options(session, lang), "values": shown,
                         "errors": errors, "field_errors": field_errors, "done": done})


@router.get("/staff/people/{staff_id}")
async def person(request: Request, session: StaffAdmin, identity: StaffIdentity, staff_id: str,
                 done: str = "") -> Response:
    return await _person_page(request, session, identity, staff_id, done=done)


@router.post("/staff/people/{staff_id}")
async def change_person(request: Request, session: StaffAdmin, identity: StaffIdentity, staff_id: str) -> Response:
    form = await request.form()
    values = {name: text_of(form, name) for name in FIELDS[1:]}
    problems = _required(values, ("display-name", "role"))
    if problems:
        return await _person_page(request, session, identity, staff_id, values=values, problems=problems)
    try:
        await identity.update_staff(staff_id, display_name=values["display-name"], role=values["role"],
                                    organisation_code=values["organisation-code"], metadata=metadata(session))
    except grpc.aio.AioRpcError as exc:
        return await _person_page(request, session, identity, staff_id, values=values,
                                  problems=refusal_problems(exc, fallback_field="role"))
    return RedirectResponse(f"/staff/people/{staff_id}?done=changed", status_code=303)


@router.post("/staff/people/{staff_id}/{action}")
async def act_on_person(request: Request, session: StaffAdmin, identity: StaffIdentity, staff_id: str,
                        action: str) -> Response:
    if action not in ACTIONS:
        return RedirectResponse(f"/staff/people/{staff_id}", status_code=303)
    md = metadata(session)
    try:
        if action in ("disable", "enable"):
            await identity.set_staff_active(staff_id, action == "enable", metadata=md)
            return RedirectResponse(f"/staff/people/{staff_id}?done={action}", status_code=303)
        reply = await identity.reset_staff(staff_id, action.removeprefix("reset-"), metadata=md)
    except grpc.aio.AioRpcError as exc:
        return refused_page(request, session, exc)
    return _setup_code_page(request, session, reply, action)


# --- an applicant's sign-in lock ----------------------------------------------------------------

def _unlock_page(request: Request, session: SessionInfo, *, values: dict[str, str] | None = None,
                 problems: list[Problem] | None = None, done: bool = False) -> Response:
    lang = language_of(request)
    errors, field_errors = form_errors(request, problems or [])
    types = [{"value": code, "text": translate(lang, f"staff.doctype.{code}")} for code in _document_types()]
    return page(request, session, "staff/unlock.html", section="staff.nav.unlock",
                status_code=422 if errors else 200,
                context={"types": types, "values": values or {"document-type": "ID_CARD"}, "errors": errors,
                         "field_errors": field_errors, "done": done})


def _document_types() -> list[str]:
    """The contracts' document types (the enum has no others)."""
    return [vocabulary.document_type_code(value) for value in vocabulary_pb2.DocumentType.values()
            if value != vocabulary_pb2.DOCUMENT_TYPE_UNSPECIFIED]


@router.get("/staff/unlock")
async def unlock_form(request: Request, session: StaffAdmin, done: str = "") -> Response:
    return _unlock_page(request, session, done=done == "1")


@router.post("/staff/unlock")
async def unlock(request: Request, session: StaffAdmin, identity: StaffIdentity) -> Response:
    form = await request.form()
    values = {"document-type": text_of(form, "document-type"),
              "document-number": normalise_number(text_of(form, "document-number"))}  # R-WIZ-11
    if not values["document-number"]:
        return _unlock_page(request, session, values=values,
                            problems=[Problem("document-number", "请填写证件号码", "Enter the document number")])
    try:
        await identity.unlock_applicant(document_type=values["document-type"],
                                        document_number=values["document-number"], metadata=metadata(session))
    except grpc.aio.AioRpcError as exc:
        return _unlock_page(request, session, values=values,
                            problems=refusal_problems(exc, fallback_field="document-number"))
    return RedirectResponse("/staff/unlock?done=1", status_code=303)
