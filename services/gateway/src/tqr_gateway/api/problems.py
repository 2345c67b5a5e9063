"""What the JSON API answers when it does not do what was asked, declared in the OpenAPI document.

Every refusal is a problem document (RFC 9457, written by ``security.refusals.problem_document``,
described here by ``Problem``). Which statuses an operation can give comes from two places:

- the gateway's own door, found from the operation itself by ``ProblemRoute``: the CSRF check on
  writes (403), a body that cannot be read (400) or is too large (413), input that does not fit
  (422), and what its dependencies refuse with (``security.refusals.refuses_with``: sign-in 401, a staff role
  403, a rate limit 429, the identity service down while resolving the session 503/504);
- the services behind it (their refusals through ``errors.STATUS_TABLE``), declared once per
  router: ``api_router(prefix, tag, <one of the sets below>)``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from tqr_gateway.security.csrf import UNSAFE_METHODS
from tqr_gateway.security.refusals import PROBLEM_JSON, refusals_of


class FieldError(BaseModel):
    field: str
    code: str
    message: str
    message_zh: str
    message_en: str


class Problem(BaseModel):
    """RFC 9457 problem details. code: the rule id (for example R-ID-8) or what went wrong (INVALID_INPUT,
    MALFORMED_BODY, CSRF_FAILED…); title: the message in the person's language; errors: the fields to correct."""

    type: str = "about:blank"
    status: int
    code: str
    title: str
    message_zh: str
    message_en: str
    request_id: str | None = None
    errors: list[FieldError] | None = None
    retry_after: int | None = None


# What each status means in this API: the one table the OpenAPI document's descriptions come from.
MEANINGS: dict[int, str] = {
    400: "The body could not be read (not JSON, or a broken form); nothing was changed.",
    401: "Not signed in, the session has ended, or the credentials are wrong.",
    403: "Refused: the CSRF token is missing or wrong (writes), or the role or organisation does not allow it.",
    404: "No such thing, or not one the caller may see.",
    409: "A rule refuses it now (state, window, duplicate) or a concurrent change won; `code` names the rule.",
    413: "The body is larger than the limit (1 MB; 8 MB where photos are uploaded).",
    422: "Input to correct: `errors` lists the fields; nothing was changed.",
    429: "Too many attempts: try again after `retry_after` seconds (also the Retry-After header).",
    503: "A service is briefly unavailable; nothing was changed. Try again shortly.",
    504: "A service took too long to answer. Try again.",
}

# What the services behind a router can refuse with (errors.STATUS_TABLE).
OUTAGE = (503, 504)
SERVICE_REFUSALS = (403, 404, 409, 422, *OUTAGE)
# The identity service also refuses credentials (401) and throttles sign-in, codes and support requests (429).
IDENTITY_REFUSALS = (*SERVICE_REFUSALS, 401, 429)

_REF = "#/components/schemas/{model}"


def answers(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The ``responses`` of a router or route: a problem document for each status."""
    return {status: {"description": MEANINGS[status],
                     "content": {PROBLEM_JSON: {"schema": {"$ref": _REF.format(model=Problem.__name__)}}}}
            for status in sorted(set(statuses))}


def _dependants(root: Dependant) -> Iterator[Dependant]:
    yield root
    for sub in root.dependencies:
        yield from _dependants(sub)


def door_answers(route: APIRoute) -> set[int]:
    """What the gateway itself may answer for this operation before or instead of it."""
    found: set[int] = set()
    if route.methods & UNSAFE_METHODS:
        found.add(403)  # the CSRF check (security.csrf)
    if route.body_field is not None:
        found |= {400, 413, 422}  # unreadable (validation), too large (security.limits), not fitting
    dependants = list(_dependants(route.dependant))
    if any(d.path_params or d.query_params or d.header_params or d.cookie_params for d in dependants):
        found.add(422)
    for dependant in dependants:
        found |= set(refusals_of(dependant.call))
    return found


class ProblemRoute(APIRoute):
    """An operation that declares the problem documents its door can answer, beside what its router
    declares for the services (a status declared explicitly is kept as it is)."""

    def __init__(self, path: str, endpoint: Any, **kwargs: Any) -> None:
        super().__init__(path, endpoint, **kwargs)
        merged = {**answers(*door_answers(self)), **self.responses}
        self.responses = dict(sorted(merged.items(), key=lambda item: str(item[0])))


def api_router(prefix: str, tag: str, services: Sequence[int]) -> APIRouter:
    """A router of the JSON API: each operation declares its door's answers and ``services``."""
    return APIRouter(prefix=prefix, tags=[tag], route_class=ProblemRoute, responses=answers(*services))


def _problem_schemas() -> dict[str, Any]:
    _, top = models_json_schema([(Problem, "serialization")], ref_template=_REF)
    return dict(top["$defs"])


def install_problem_schemas(app: FastAPI) -> None:
    """Adds ``Problem`` (and ``FieldError``) to the OpenAPI document's components: the responses
    refer to it under ``application/problem+json``, which FastAPI's ``model=`` cannot say."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = build()
            schema.setdefault("components", {}).setdefault("schemas", {}).update(_problem_schemas())
        return app.openapi_schema  # type: ignore[return-value]

    app.openapi = openapi  # type: ignore[method-assign]
