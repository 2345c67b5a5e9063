"""The staff console: everything under /staff after sign-in (the sign-in page is the account area's).

One router per part of the console, combined here; ``router`` is what the app includes.
"""

from fastapi import APIRouter

from tqr_gateway.pages.staff import (
    applications,
    audit,
    broadcast,
    bulk,
    checklist,
    dashboard,
    home,
    lists,
    people,
    plans,
    points,
    reference,
    reference_edits,
    reviews,
    slots,
)

router = APIRouter(include_in_schema=False)
for part in (home, lists, bulk, applications, plans, points, checklist, reviews, reference, reference_edits, people,
             audit, broadcast, dashboard, slots):
    router.include_router(part.router)

__all__ = ["router"]
