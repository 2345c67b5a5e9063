"""Who is asking: the session cookie resolved by the identity service (or remembered: session_cache).

A pure ASGI middleware puts a ``SessionInfo`` (or None) into the request state, so every page —
help pages included — can show who is signed in, and the route dependencies in ``deps.py`` can
require a signed-in applicant or a staff role. The token itself never leaves the cookie and the
call to the identity service.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

import grpc
from servicekit.rpc.actor import ActorSigner, Metadata
from starlette.requests import cookie_parser
from starlette.types import ASGIApp, Receive, Scope, Send
from tqr.common.v1.actor_pb2 import Actor

from tqr_gateway.session_cache import SessionCache, session_id_of
from tqr_gateway.vocabulary import APPLICANT, NO_ROLE, Role, role_code

log = logging.getLogger(__name__)

SESSION_COOKIE = "__Host-session"
PLAIN_SESSION_COOKIE = "session"  # only where secure cookies are off (plain-http development away from localhost)


@dataclass(frozen=True)
class SessionInfo:
    token: str
    subject_id: str
    kind: str  # applicant | staff
    roles: tuple[Role, ...]  # the contracts' enum values (tqr_gateway.vocabulary)
    organisation_code: str
    name: str
    masked_document_number: str
    real_name_status: str
    # Signs this session's actor for the services (the gateway's key); None only in unit tests that
    # build a SessionInfo by hand and never call a service.
    signer: ActorSigner | None = field(default=None, compare=False, repr=False)
    # When identity ends the session if it is not used again (wall-clock seconds), as identity said
    # when it last resolved it; pages warn before then. A remembered session keeps the value: a
    # request answered from the cache did not reach identity, so did not extend the session there.
    valid_until: float = field(default=0.0, compare=False)

    @property
    def is_staff(self) -> bool:
        return self.kind == "staff"

    @property
    def role(self) -> Role:
        return self.roles[0] if self.roles else (APPLICANT if self.kind == "applicant" else NO_ROLE)

    @property
    def role_code(self) -> str:
        """The role as the pages' texts are keyed ("POINT_STAFF")."""
        return role_code(self.role)

    def actor(self, role: Role | None = None) -> Actor:
        return Actor(subject_id=self.subject_id, role=role or self.role,
                     organisation_code=self.organisation_code, display_name=self.name)

    def signed_actor(self, role: Role | None = None) -> Metadata:
        if self.signer is None:
            raise RuntimeError("this session has no actor signer")
        return self.signer.metadata_for(self.actor(role), session_id_of(self.token))


def cookie_name(secure: bool) -> str:
    return SESSION_COOKIE if secure else PLAIN_SESSION_COOKIE


def session_token_of(scope: Scope, secure: bool) -> str:
    for name, value in scope.get("headers") or []:
        if name == b"cookie":
            # Starlette's parser, as for request.cookies everywhere else; http.cookies.SimpleCookie
            # costs many times more, twice on every request (the admission layer asks too).
            return cookie_parser(value.decode("latin-1")).get(cookie_name(secure), "")
    return ""


class SessionMiddleware:
    def __init__(self, app: ASGIApp, *, secure: bool = True) -> None:
        self.app = app
        self.secure = secure

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/static/"):
            await self.app(scope, receive, send)
            return
        state = scope.setdefault("state", {})
        state["session"] = None
        state["session_outage"] = None
        token = session_token_of(scope, self.secure)
        if token:
            try:
                session = await _resolve(scope, token)
            except grpc.aio.AioRpcError as outage:
                # The person may well be signed in; we just cannot tell now. Pages that need a
                # session answer 503 ("try again shortly"), not "please sign in"; public pages work.
                log.warning("could not resolve the session", extra={"grpc_code": outage.code().name})
                state["session_outage"] = outage
                session = None
            state["session"] = session
            if session is not None:
                state["account"] = {"display_name": session.name, "kind": session.kind}
                state["session_valid_until"] = session.valid_until
        await self.app(scope, receive, send)


async def _resolve(scope: Scope, token: str) -> SessionInfo | None:
    """The session, None when it has ended; raises when the identity service cannot answer."""
    cache: SessionCache = scope["app"].state.session_cache
    remembered = cache.get(token)
    if remembered is not None:
        return remembered
    ticket = cache.ticket()
    try:
        reply = await scope["app"].state.clients.identity.resolve_session(token)
    except grpc.aio.AioRpcError as exc:
        if exc.code() in (grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.NOT_FOUND):
            return None
        raise
    session = SessionInfo(
        token=token, subject_id=reply.subject_id, kind=reply.kind, roles=tuple(reply.roles),
        organisation_code=reply.organisation_code, name=reply.name,
        masked_document_number=reply.masked_document_number, real_name_status=reply.real_name_status,
        signer=scope["app"].state.actor_signer,
        # 0 (no warning) when identity did not say how long the session lasts.
        valid_until=time.time() + reply.valid_for_seconds if reply.valid_for_seconds > 0 else 0.0,
    )
    cache.put(token, session, valid_for_seconds=reply.valid_for_seconds, channel=reply.revocation_channel,
              ticket=ticket)
    return session
