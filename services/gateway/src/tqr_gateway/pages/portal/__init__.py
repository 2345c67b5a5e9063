"""Pages of the applicant portal (/portal, R-APP-1..5): applications, status, edits, inbox, the form."""

from fastapi import APIRouter

from tqr_gateway.pages.portal import authority_pages, edit_pages, overview, slot_pages

router = APIRouter(include_in_schema=False)
router.include_router(overview.router)
router.include_router(edit_pages.router)
router.include_router(authority_pages.router)
router.include_router(slot_pages.router)

__all__ = ["router"]
