"""The staff console: everything under /staff after sign-in (the sign-in page is the account area's).

One router per part of the console, combined here; ``router`` is what the app includes.
"""

from fastapi import APIRouter

from tqr_gateway.pages.staff import (
    applications,
    audit,
    broadcast,
    bulk,
    home,
    lists,
    people,
    plans,
    points,
    reference,
    reviews,
    slots,
)

router = APIRouter(include_in_schema=False)
for part in (home, lists, bulk, applications, plans, points, reviews, reference, people, audit, broadcast, slots):
    router.include_router(part.router)

__all__ = ["router"]
