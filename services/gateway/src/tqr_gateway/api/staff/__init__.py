"""JSON API of the staff console under /api/v1/staff: one router per part, combined here."""

from fastapi import APIRouter

from tqr_gateway.api.staff import applications, plans, reviews

router = APIRouter()
for part in (applications, plans, reviews):
    router.include_router(part.router)

__all__ = ["router"]
