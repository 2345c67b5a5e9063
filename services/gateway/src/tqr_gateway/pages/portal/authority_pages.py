"""WRONG_AUTHORITY → choose another authority and point (R-APP-2, R-APP-3); withdrawing.

Without JavaScript in two rounds on one page: choose (or filter) the authority, press "显示确认点",
then choose one of its points and submit. The service checks the new plan's window.
"""

from __future__ import annotations

from typing import Any

import grpc
from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from tqr_gateway.clients.application import ApplicationClient
from tqr_gateway.deps import Applicant, Applications, actor_metadata
from tqr_gateway.pages.wizard import forms
from tqr_gateway.pages.wizard.common import PageErrors, page_errors
from tqr_gateway.web.templating import render

router = APIRouter()


async def _render(request: Request, applications: ApplicationClient, view: Any, values: dict[str, str],
                  errors: PageErrors) -> Response:
    client = applications
    authorities = await client.list_authorities(values.get("region", ""))
    search = values.get("authority_search", "")
    shown = [a for a in authorities if not search or search in a.name]
    points = await client.list_points(values["authority_code"]) if values.get("authority_code") else []
    context = {
        "application": view, "values": values, "errors": errors.summary, "field_errors": errors.fields,
        "regions": [{"value": r.code, "text": r.name} for r in await client.list_regions("")],
        "authorities": [{"value": a.code, "text": a.name} for a in shown],
        "points": [{"value": p.code, "text": p.name, "hint": "；".join(filter(None, [p.address, p.phone, p.scope]))}
                   for p in points],
    }
    return render(request, "portal/correct_authority.html", context, status_code=400 if errors else 200)


@router.get("/portal/applications/{application_id}/correct-authority")
async def correct_form(request: Request, application_id: str, session: Applicant,
                       applications: Applications) -> Response:
    view = await applications.get_mine(application_id, actor_metadata(session))
    return await _render(request, applications, view, {"authority_code": "", "point_code": "", "region": "",
                                         "authority_search": ""}, PageErrors())


@router.post("/portal/applications/{application_id}/correct-authority")
async def correct(request: Request, application_id: str, session: Applicant, applications: Applications) -> Response:
    md = actor_metadata(session)
    client = applications
    form = await request.form()
    values = {name: forms.text(form, name) for name in ("authority_code", "point_code", "region", "authority_search")}
    view = await client.get_mine(application_id, md)
    if forms.text(form, "action") != "submit" or not values["point_code"]:
        errors = PageErrors()
        if forms.text(form, "action") == "submit":
            errors.add("point_code" if values["authority_code"] else "authority_code",
                       _t(request, "portal.correct.choose_point" if values["authority_code"]
                          else "portal.correct.choose_authority"))
        return await _render(request, applications, view, values, errors)
    try:
        await client.correct_authority(application_id, values["authority_code"], values["point_code"],
                                       view.version, md)
    except grpc.aio.AioRpcError as exc:
        return await _render(request, applications, view, values, page_errors(request, exc))
    return RedirectResponse(f"/portal/applications/{application_id}?updated=authority", status_code=303)


def _t(request: Request, key: str) -> str:
    from tqr_gateway.web.catalogue import translate
    from tqr_gateway.web.language import language_of

    return translate(language_of(request), key)


@router.get("/portal/applications/{application_id}/withdraw")
async def withdraw_form(request: Request, application_id: str, session: Applicant,
                        applications: Applications) -> Response:
    view = await applications.get_mine(application_id, actor_metadata(session))
    return render(request, "portal/withdraw.html", {"application": view, "values": {}, "errors": [],
                                                    "field_errors": {}})


@router.post("/portal/applications/{application_id}/withdraw")
async def withdraw(request: Request, application_id: str, session: Applicant, applications: Applications) -> Response:
    md = actor_metadata(session)
    client = applications
    form = await request.form()
    reason = forms.text(form, "reason")
    version = forms.text(form, "version")
    try:
        await client.withdraw(application_id, reason, int(version) if version.isdigit() else 0, md)
    except grpc.aio.AioRpcError as exc:
        errors = page_errors(request, exc)
        view = await client.get_mine(application_id, md)
        return render(request, "portal/withdraw.html", {"application": view, "values": {"reason": reason},
                                                        "errors": errors.summary, "field_errors": errors.fields},
                      status_code=400)
    return RedirectResponse(f"/portal/applications/{application_id}?updated=withdrawn", status_code=303)
