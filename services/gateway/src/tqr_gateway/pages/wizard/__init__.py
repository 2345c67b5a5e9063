"""Pages of the application wizard (申报, R-WIZ-1..9): /apply, its eight steps, check and done."""

from fastapi import APIRouter

from tqr_gateway.pages.wizard import materials_pages, step_pages, submit_pages

router = APIRouter(include_in_schema=False)
router.include_router(submit_pages.router)
router.include_router(materials_pages.router)
router.include_router(step_pages.router)

__all__ = ["router"]
