"""The console's home: what the signed-in role can do, and the search box for application staff."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from tqr_gateway.pages.staff.common import StaffSession
from tqr_gateway.pages.staff.navigation import page
from tqr_gateway.pages.staff.rules import APPLICATION_STAFF, CAPABILITIES, may
from tqr_gateway.web.catalogue import translate
from tqr_gateway.web.language import language_of

router = APIRouter(include_in_schema=False)


@router.get("/staff")
async def home(request: Request, session: StaffSession) -> Response:
    lang = language_of(request)
    offered: list[tuple[str, str]] = []
    for role in session.roles:
        offered += [c for c in CAPABILITIES.get(role, ()) if c not in offered]
    capabilities = [{"href": href, "label": translate(lang, key), "hint": translate(lang, f"{key}.hint")}
                    for key, href in offered]
    return page(request, session, "staff/home.html", section="staff.nav.home", context={
        "capabilities": capabilities, "can_search": may(session.roles, *APPLICATION_STAFF),
        "lead": translate(lang, f"staff.home.lead.{session.role}")})
