"""Route dependencies: the signed-in person, their role, the clients of the services.

Pages and the API share these, so a rule such as "staff of a point only" is written once.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.responses import Response
from starlette.exceptions import HTTPException

from tqr_gateway.clients.identity import IdentityClient
from tqr_gateway.config import GatewaySettings
from tqr_gateway.security.refusals import refuses_with
from tqr_gateway.session import SessionInfo, cookie_name


class SignInRequired(Exception):
    """Raised by the dependencies; pages answer with a redirect to the sign-in page, the API with 401."""

    def __init__(self, staff: bool = False) -> None:
        self.staff = staff


# Dependencies are ``async def`` although they do no I/O: FastAPI runs a plain ``def`` dependency in
# a worker thread, which cost a thread hand-off on every request (≈ 5 % of the gateway's CPU).


async def settings_of(request: Request) -> GatewaySettings:
    return request.app.state.settings  # type: ignore[no-any-return]


def optional_session(request: Request) -> SessionInfo | None:
    return getattr(request.state, "session", None)


def _raise_if_identity_was_down(request: Request) -> None:
    """Requiring a session while the identity service could not answer is a 503, not a sign-out."""
    outage = getattr(request.state, "session_outage", None)
    if outage is not None:
        raise outage


@refuses_with(401, 503, 504)  # not signed in; the identity service could not say who is asking
async def require_applicant(request: Request) -> SessionInfo:
    session = optional_session(request)
    if session is None:
        _raise_if_identity_was_down(request)
    if session is None or session.kind != "applicant":
        raise SignInRequired(staff=False)
    return session


def require_staff(*roles: str):  # type: ignore[no-untyped-def]
    """A dependency that admits staff with one of ``roles`` (any staff role when none is given)."""

    @refuses_with(401, 403, 503, 504)
    async def dependency(request: Request) -> SessionInfo:
        session = optional_session(request)
        if session is None:
            _raise_if_identity_was_down(request)
        if session is None or not session.is_staff:
            raise SignInRequired(staff=True)
        if roles and not set(session.roles) & set(roles):
            raise HTTPException(status_code=403, detail="这项操作不在您的权限范围内 / Not permitted for your role")
        return session

    return dependency


def actor_metadata(session: SessionInfo, role: str | None = None) -> tuple[tuple[str, bytes], ...]:
    """gRPC metadata that tells the service who is calling: the actor, signed by the gateway for a
    minute and bound to this session (servicekit.rpc.actor)."""
    return session.signed_actor(role)


def set_session_cookie(response: Response, token: str, settings: GatewaySettings) -> None:
    response.set_cookie(
        cookie_name(settings.secure_cookies), token, httponly=True, secure=settings.secure_cookies,
        samesite="lax", path="/",
    )


def clear_session_cookie(response: Response, settings: GatewaySettings) -> None:
    response.delete_cookie(cookie_name(settings.secure_cookies), path="/", secure=settings.secure_cookies,
                           httponly=True, samesite="lax")


Applicant = Annotated[SessionInfo, Depends(require_applicant)]
Settings = Annotated[GatewaySettings, Depends(settings_of)]


def identity(request: Request) -> IdentityClient:
    """The identity service's client; a sign-out through it also drops the token from the session cache."""
    return IdentityClient(request.app.state.channels.identity, request.app.state.session_cache.forget)
