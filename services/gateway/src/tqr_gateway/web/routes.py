"""Public pages of the web shell: the landing page, the four help pages (R-HELP-1), the privacy
notice and the accessibility statement, and the language switch."""

from __future__ import annotations

from typing import Final

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from tqr_gateway.web.key_dates import key_dates
from tqr_gateway.web.language import LANG_COOKIE, LANG_COOKIE_MAX_AGE, SUPPORTED_LANGUAGES, safe_local_path
from tqr_gateway.web.templating import render

HELP_TOPICS: Final = ("guide", "process", "usage", "faq")
# The privacy notice (PIPL) and the accessibility statement: topic → the date the text last changed.
LEGAL_PAGES: Final = {"privacy": "2026-12-06", "accessibility": "2026-12-06"}

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse, name="web.home")
async def home(request: Request) -> HTMLResponse:
    return render(request, "index.html", {"key_dates": await key_dates(request)})


@router.get("/help/{topic}", response_class=HTMLResponse, name="web.help")
async def help_page(request: Request, topic: str) -> HTMLResponse:
    if topic not in HELP_TOPICS:
        raise HTTPException(status_code=404)
    return render(request, "help/page.html", {"topic": topic, "topics": HELP_TOPICS})


@router.get("/privacy", response_class=HTMLResponse, name="web.privacy")
async def privacy_notice(request: Request) -> HTMLResponse:
    return render(request, "legal/page.html", {"topic": "privacy", "updated": LEGAL_PAGES["privacy"]})


@router.get("/accessibility", response_class=HTMLResponse, name="web.accessibility")
async def accessibility_statement(request: Request) -> HTMLResponse:
    return render(request, "legal/page.html", {"topic": "accessibility", "updated": LEGAL_PAGES["accessibility"]})


@router.get("/lang/{code}", name="web.switch_language")
async def switch_language(request: Request, code: str, next_path: str = Query("/", alias="next")) -> RedirectResponse:
    """Remember the person's language for a year and go back to the page they were on.

    Only a local path is followed (no open redirect). Wizard answers live in server-side drafts,
    so coming back to a wizard page after switching shows what was saved.
    """
    if code not in SUPPORTED_LANGUAGES:
        raise HTTPException(status_code=404)
    response = RedirectResponse(safe_local_path(next_path), status_code=303)
    response.set_cookie(
        LANG_COOKIE, code, max_age=LANG_COOKIE_MAX_AGE, path="/", samesite="lax", httponly=True,
        secure=request.url.scheme == "https",
    )
    return response
