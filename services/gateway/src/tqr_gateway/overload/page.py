"""The waiting page: the visitor's place and an estimated wait, asking again by itself.

It works without JavaScript: a meta refresh asks again every ``refresh`` seconds at the same
address, so the visitor, once let in, simply sees the page they asked for. The place is in a
``role="status"`` region, which screen readers announce when it changes.
"""

from __future__ import annotations

import math

from starlette.requests import HTTPConnection
from starlette.responses import HTMLResponse

from tqr_gateway.overload.waiting_room import Place
from tqr_gateway.web.templating import render_page


def waiting_page(connection: HTTPConnection, place: Place, refresh_seconds: int, abandon_seconds: int) -> HTMLResponse:
    wait = place.estimated_wait_seconds
    minutes = None if wait is None else max(1, math.ceil(wait / 60))
    # A page, not an error: the visitor is being served, in order (200, so no error alert fires
    # for a queue working as it should). Never cached: every answer is this moment's place.
    return HTMLResponse(
        render_page(connection, "overload/waiting_room.html",
                    {"position": place.position, "minutes": minutes, "refresh": refresh_seconds,
                     "abandon": abandon_seconds,
                     "here": connection.url.path + (f"?{connection.url.query}" if connection.url.query else "")}),
        headers={"Cache-Control": "no-store"},
    )
