"""The console's home: what the signed-in role can do, and the search box for application staff."""

from __future__ import annotations

from typing import Final

from fastapi import APIRouter, Request
from fastapi.responses import Response

from tqr_gateway.deps import StaffSession
from tqr_gateway.flows.staff_rules import (
    APPLICATION_STAFF,
    AUTHORITY_ADMIN,
    IDENTITY_REVIEWER,
    POINT_STAFF,
    SYSTEM_ADMIN,
    may,
)
from tqr_gateway.pages.staff.navigation import page
from tqr_gateway.web.catalogue import translate
from tqr_gateway.web.language import language_of

router = APIRouter(include_in_schema=False)

# What each role's home offers: (catalogue key, path). The order is the order of daily work.
CAPABILITIES: Final[dict[str, tuple[tuple[str, str], ...]]] = {
    AUTHORITY_ADMIN: (
        ("staff.cap.find", "/staff#find"),
        ("staff.cap.approvals", "/staff/applications?status=CONFIRMED"),
        ("staff.cap.lists", "/staff/applications"),
        ("staff.cap.conflicts", "/staff/applications?conflicts=1"),
        ("staff.cap.other_plan", "/staff/applications?other_plan=1"),
        ("staff.cap.dashboard", "/staff/dashboard"),
        ("staff.cap.plans", "/staff/plans"),
        ("staff.cap.points", "/staff/points"),
    ),
    POINT_STAFF: (
        ("staff.cap.confirm", "/staff#find"),
        ("staff.cap.point_list", "/staff/applications?status=SUBMITTED"),
        ("staff.cap.conflicts", "/staff/applications?conflicts=1"),
        ("staff.cap.lists", "/staff/applications"),
        ("staff.cap.dashboard", "/staff/dashboard"),
        ("staff.cap.point_notes", "/staff/points"),
    ),
    IDENTITY_REVIEWER: (
        ("staff.cap.reviews", "/staff/reviews"),
        ("staff.cap.support", "/staff/support"),
    ),
    SYSTEM_ADMIN: (
        ("staff.cap.reference", "/staff/reference"),
        ("staff.cap.dashboard", "/staff/dashboard"),
    ),
}


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
        "lead": translate(lang, f"staff.home.lead.{session.role_code}")})
