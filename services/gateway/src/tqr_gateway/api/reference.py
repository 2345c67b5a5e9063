"""Reference data for forms: authorities by region."""

from __future__ import annotations

from fastapi import Request
from pydantic import BaseModel

from tqr_gateway.api.problems import OUTAGE, api_router
from tqr_gateway.deps import Applications

router = api_router("/api/v1", "reference", OUTAGE)


class Authority(BaseModel):
    code: str
    name: str
    region_code: str
    address: str
    phone: str


@router.get("/authorities", response_model=list[Authority])
async def list_authorities(request: Request, applications: Applications, region: str = "") -> list[Authority]:
    client = applications
    found = await client.list_authorities(region[:12])
    return [Authority(**vars(a)) for a in found]
