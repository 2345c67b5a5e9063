"""The console's navigation by role, and the one call pages use to render inside it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import grpc
from fastapi import Request
from fastapi.responses import HTMLResponse

from tqr_gateway.errors import answer_for_rpc_error
from tqr_gateway.flows.staff_rules import AUTHORITY_ADMIN, IDENTITY_REVIEWER, POINT_STAFF, SYSTEM_ADMIN
from tqr_gateway.session import SessionInfo
from tqr_gateway.web.catalogue import translate
from tqr_gateway.web.language import language_of
from tqr_gateway.web.templating import render

NAV: dict[str, tuple[tuple[str, str], ...]] = {
    AUTHORITY_ADMIN: (("staff.nav.home", "/staff"), ("staff.nav.lists", "/staff/applications"),
                      ("staff.nav.dashboard", "/staff/dashboard"),
                      ("staff.nav.plans", "/staff/plans"), ("staff.nav.points", "/staff/points"),
                      ("staff.nav.checklist", "/staff/checklist"), ("staff.nav.people", "/staff/people"),
                      ("staff.nav.unlock", "/staff/unlock"), ("staff.nav.broadcast", "/staff/broadcast"),
                      ("staff.nav.audit", "/staff/audit")),
    POINT_STAFF: (("staff.nav.home", "/staff"), ("staff.nav.lists", "/staff/applications"),
                  ("staff.nav.dashboard", "/staff/dashboard"),
                  ("staff.nav.points", "/staff/points"), ("staff.nav.slots", "/staff/slots"),
                  ("staff.nav.broadcast", "/staff/broadcast")),
    IDENTITY_REVIEWER: (("staff.nav.home", "/staff"), ("staff.nav.reviews", "/staff/reviews"),
                        ("staff.nav.support", "/staff/support")),
    SYSTEM_ADMIN: (("staff.nav.home", "/staff"), ("staff.nav.dashboard", "/staff/dashboard"),
                   ("staff.nav.reference", "/staff/reference"),
                   ("staff.nav.people", "/staff/people"), ("staff.nav.unlock", "/staff/unlock"),
                   ("staff.nav.audit", "/staff/audit")),
}


def nav_for(session: SessionInfo) -> list[dict[str, str]]:
    seen: dict[str, str] = {}
    for role in session.roles:
        for key, href in NAV.get(role, ()):
            seen.setdefault(key, href)
    return [{"key": key, "href": href} for key, href in seen.items()] or [{"key": "staff.nav.home", "href": "/staff"}]


def page(request: Request, session: SessionInfo, template: str, *, section: str,
         context: Mapping[str, Any] | None = None, status_code: int = 200,
         no_store: bool = True) -> HTMLResponse:
    """Console pages hold personal data: never cached (``no-store``)."""
    headers = {"Cache-Control": "no-store"} if no_store else {}
    role_label = translate(language_of(request), f"staff.role.{session.role_code}")
    full = {"staff": session, "role_label": role_label, "nav": nav_for(session), "section": section,
            **(context or {})}
    return render(request, template, full, status_code=status_code, headers=headers)


def refused_page(request: Request, session: SessionInfo, exc: grpc.aio.AioRpcError) -> HTMLResponse:
    """A service's refusal (not your organisation, no such application…) inside the console, with its
    navigation; faults (5xx) go on to the app's error page."""
    answer, _ = answer_for_rpc_error(exc)
    if answer.status >= 500:
        raise exc
    message = answer.message_en if language_of(request) == "en" else answer.message_zh
    return page(request, session, "staff/refused.html", section="staff.nav.home", status_code=answer.status,
                context={"message": message})
