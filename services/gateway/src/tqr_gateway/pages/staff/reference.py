"""The system administrator's overview of the reference data (authorities, points, code lists)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from tqr_gateway.pages.staff.common import StaffSession, application_client, metadata, refuse_unless
from tqr_gateway.pages.staff.navigation import page
from tqr_gateway.pages.staff.rules import SYSTEM_ADMIN

router = APIRouter(include_in_schema=False)


@router.get("/staff/reference")
async def reference(request: Request, session: StaffSession) -> Response:
    if (refused := refuse_unless(request, session, SYSTEM_ADMIN)) is not None:
        return refused
    client, md = application_client(request), metadata(session)
    authorities = await client.list_authorities(metadata=md)
    codes = await client.code_lists(metadata=md)
    provinces = await client.list_regions(metadata=md)
    return page(request, session, "staff/reference.html", section="staff.nav.reference", context={
        "authorities": [{"code": a.code, "name": a.name, "region": a.region_code, "phone": a.phone}
                        for a in authorities],
        "counts": {"provinces": len(provinces), "authorities": len(authorities),
                   "stages": len(codes.teaching_stages), "subjects": len(codes.subjects),
                   "certificate_types": len(codes.certificate_types)},
        "stages": [c.name for c in codes.teaching_stages], "subjects": [c.name for c in codes.subjects],
        "certificate_types": [c.name for c in codes.certificate_types],
    })
