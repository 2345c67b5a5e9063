"""What every staff page needs: the signed-in staff member, the role gate that answers with a 403
page, the clients with the caller's Actor, refusals turned into form errors, and times in
Asia/Shanghai."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

import grpc
from fastapi import Depends, Request
from fastapi.responses import Response
from google.protobuf.timestamp_pb2 import Timestamp
from servicekit import errors
from servicekit.rpc.errors import from_rpc_error

from tqr_gateway.clients.staff_application import StaffApplicationClient
from tqr_gateway.clients.staff_documents import StaffDocumentsClient
from tqr_gateway.clients.staff_identity import StaffIdentityClient
from tqr_gateway.deps import actor_metadata, require_staff
from tqr_gateway.pages.staff.rules import Problem, may
from tqr_gateway.security.refusals import Refusal, refusal_response
from tqr_gateway.session import SessionInfo
from tqr_gateway.web.formatting import CHINA_TZ
from tqr_gateway.web.language import language_of

# Any staff role; each page then asks ``refuse_unless`` for the roles it serves, so that a wrong
# role gets a 403 page (pages) or problem document (API) instead of a bare error.
StaffSession = Annotated[SessionInfo, Depends(require_staff())]

ROLE_REFUSAL = Refusal(403, "STAFF_ROLE", "这项操作不在您的权限范围内。如需办理，请联系有权限的工作人员。",
                       "This is not part of your role. Please ask a colleague who has it.")


def refuse_unless(request: Request, session: SessionInfo, *roles: str) -> Response | None:
    if may(session.roles, *roles):
        return None
    return refusal_response(request, ROLE_REFUSAL, getattr(request.app.state, "refusal_renderer", None))


def metadata(session: SessionInfo) -> tuple[tuple[str, bytes], ...]:
    return actor_metadata(session)


def application_client(request: Request) -> StaffApplicationClient:
    return StaffApplicationClient(request.app.state.channels.application)


def identity_client(request: Request) -> StaffIdentityClient:
    return StaffIdentityClient(request.app.state.channels.identity)


def documents_client(request: Request) -> StaffDocumentsClient:
    return StaffDocumentsClient(request.app.state.channels.documents)


def refusal_problems(exc: grpc.aio.AioRpcError, *, fallback_field: str = "") -> list[Problem]:
    """A service's refusal as problems to show beside the form; faults are re-raised for the app's
    error page (nothing to correct in the form)."""
    refusal = from_rpc_error(exc)
    if refusal is None or exc.code() in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED):
        raise exc
    if isinstance(refusal, errors.InvalidInput) and refusal.problems:
        return [Problem(p.field.replace("_", "-"), p.message_zh, p.message_en) for p in refusal.problems]
    return [Problem(fallback_field, refusal.message_zh, refusal.message_en)]


def form_errors(request: Request, problems: list[Problem]) -> tuple[list[dict[str, str]], dict[str, str]]:
    """(the error summary's entries, message per field) in the person's language."""
    lang = language_of(request)
    summary: list[dict[str, str]] = []
    by_field: dict[str, str] = {}
    for problem in problems:
        text = problem.message(lang)
        summary.append({"field": problem.field or "main", "message": text})
        if problem.field:
            by_field.setdefault(problem.field, text)
    return summary, by_field


def instant(stamp: Timestamp) -> datetime | None:
    """An aware UTC datetime, or None for an unset timestamp."""
    if not stamp.seconds and not stamp.nanos:
        return None
    return stamp.ToDatetime(tzinfo=UTC)


def local_input_value(value: datetime | None) -> str:
    """The value of a ``datetime-local`` input: Beijing wall-clock time."""
    return value.astimezone(CHINA_TZ).strftime("%Y-%m-%dT%H:%M") if value else ""


def parse_local(text: str) -> datetime | None:
    """``YYYY-MM-DDTHH:MM`` (or with a space) read as Asia/Shanghai time; None when not a time."""
    clean = text.strip().replace(" ", "T")
    try:
        naive = datetime.fromisoformat(clean)
    except ValueError:
        return None
    if naive.tzinfo is not None:
        return naive
    return naive.replace(tzinfo=CHINA_TZ)


def text_of(form: Any, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""
