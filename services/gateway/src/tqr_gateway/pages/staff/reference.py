"""The system administrator's overview of the reference data (authorities, points, code lists)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from tqr_gateway.deps import StaffApplications, SystemAdmin
from tqr_gateway.pages.staff.common import metadata
from tqr_gateway.pages.staff.navigation import page

router = APIRouter(include_in_schema=False)


@router.get("/staff/reference")
async def reference(request: Request, session: SystemAdmin, applications: StaffApplications,
                    done: str = "") -> Response:
    client, md = applications, metadata(session)
    authorities = await client.list_authorities(metadata=md)
    codes = await client.code_lists(metadata=md)
    provinces = await client.list_regions(metadata=md)
    return page(request, session, "staff/reference.html", section="staff.nav.reference", context={
        "done": done if done in ("authority", "code") else "",
        "authorities": [{"code": a.code, "name": a.name, "region": a.region_code, "phone": a.phone,
                         "edit": f"/staff/reference/authorities/{a.code}"} for a in authorities],
        "code_lists": [{"list": name, "entries": [
            {"code": c.code, "name": c.name, "edit": f"/staff/reference/codes/{name}/{c.code}"}
            for c in getattr(codes, name)]} for name in ("teaching_stages", "subjects", "certificate_types")],
        "counts": {"provinces": len(provinces), "authorities": len(authorities),
                   "stages": len(codes.teaching_stages), "subjects": len(codes.subjects),
                   "certificate_types": len(codes.certificate_types)},
        "stages": [c.name for c in codes.teaching_stages], "subjects": [c.name for c in codes.subjects],
        "certificate_types": [c.name for c in codes.certificate_types],
    })
