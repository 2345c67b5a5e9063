"""The staff console: everything under /staff after sign-in (the sign-in page is the account area's).

One router per part of the console, combined here; ``router`` is what the app includes.
"""

from fastapi import APIRouter

from tqr_gateway.pages.staff import applications, checklist, home, lists, people, plans, points, reference, reviews

router = APIRouter(include_in_schema=False)
for part in (home, lists, applications, plans, points, checklist, reviews, reference, people):
    router.include_router(part.router)

__all__ = ["router"]
