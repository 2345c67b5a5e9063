"""A request body read ahead of the app, handed to it again as if it had not been read."""

from __future__ import annotations

from starlette.types import Message, Receive


def replaying(body: bytes, then: Receive | None = None) -> Receive:
    """``body`` as the request's one message; after it, what ``then`` (the connection) says next, or
    a disconnect where there is no connection to ask."""
    given = False

    async def receive() -> Message:
        nonlocal given
        if given:
            return await then() if then is not None else {"type": "http.disconnect"}
        given = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive
