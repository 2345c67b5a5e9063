"""What every account page shares: the identity client, refusals turned into form errors, the
short-lived server-side state of multi-page flows, and the human check (R-ID-5).

Nothing personal travels in a URL: the flows (registration, password reset) keep what was typed
on earlier pages in Redis under a random id held in an HttpOnly cookie, for 30 minutes at most.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import struct
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import grpc
from fastapi import Request
from fastapi.responses import Response
from servicekit import errors
from servicekit.rpc.errors import from_rpc_error

from tqr_gateway import vocabulary
from tqr_gateway.clients.identity import IdentityClient
from tqr_gateway.config import GatewaySettings
from tqr_gateway.security.client_address import client_address
from tqr_gateway.web.catalogue import translate
from tqr_gateway.web.language import language_of

FLOW_TTL_SECONDS = 30 * 60
FLOW_KEY_PREFIX = "tqr:gateway:flow:"
HUMAN_FIELD = "hc_answer"



def settings(request: Request) -> GatewaySettings:
    return request.app.state.settings  # type: ignore[no-any-return]


def client_id(request: Request) -> str:
    """The caller's address, for the service's per-client caps and throttles (never logged here)."""
    return client_address(request)


def t(request: Request, key: str, **params: Any) -> str:
    return translate(language_of(request), key, **params)


def refusal_of(exc: grpc.aio.AioRpcError) -> errors.ServiceError:
    """The service's refusal; a fault (no Problem, or 5xx) is re-raised for the app's handler."""
    refusal = from_rpc_error(exc)
    if refusal is None or isinstance(refusal, errors.DependencyUnavailable):
        raise exc
    return refusal


@dataclass
class FormErrors:
    """Errors for the summary (``items``) and beside each field (``by_field``)."""

    items: list[dict[str, str]] = field(default_factory=list)
    by_field: dict[str, str] = field(default_factory=dict)

    def add(self, field_id: str, message: str, href: str | None = None) -> None:
        self.items.append({"field": field_id, "message": message, "href": href or f"#{field_id}"})
        self.by_field.setdefault(field_id, message)

    def __bool__(self) -> bool:
        return bool(self.items)

    def context(self) -> dict[str, Any]:
        return {"errors": self.items, "field_errors": self.by_field}


def form_errors(request: Request, refusal: errors.ServiceError, *, fields: dict[str, str] | None = None,
                fallback_field: str = "main") -> FormErrors:
    """Field problems go beside their fields (``fields`` renames service field names to input ids);
    any other refusal becomes one summary entry pointing at ``fallback_field``."""
    lang = language_of(request)
    found = FormErrors()
    rename = fields or {}
    if isinstance(refusal, errors.InvalidInput) and refusal.problems:
        for problem in refusal.problems:
            message = problem.message_en if lang == "en" else problem.message_zh
            found.add(rename.get(problem.field, problem.field), message)
        return found
    found.add(fallback_field, refusal.message_en if lang == "en" else refusal.message_zh)
    return found


def text_of(request: Request, refusal: errors.ServiceError) -> str:
    return refusal.message_en if language_of(request) == "en" else refusal.message_zh


class FlowState:
    """The state of one multi-page flow (``kind``: "register", "reset"), kept in Redis."""

    def __init__(self, request: Request, kind: str) -> None:
        self.request = request
        self.kind = kind
        self.cookie = f"tqr-flow-{kind}"

    def _key(self, flow_id: str) -> str:
        # Only a digest of the cookie's id names the key, so a Redis dump cannot be replayed as cookies.
        return FLOW_KEY_PREFIX + self.kind + ":" + hashlib.sha256(flow_id.encode()).hexdigest()

    async def load(self) -> dict[str, Any] | None:
        flow_id = self.request.cookies.get(self.cookie, "")
        if not flow_id:
            return None
        raw = await self.request.app.state.redis.get(self._key(flow_id))
        return json.loads(raw) if raw else None

    async def save(self, data: dict[str, Any], response: Response) -> None:
        flow_id = self.request.cookies.get(self.cookie, "") or secrets.token_urlsafe(24)
        await self.request.app.state.redis.set(self._key(flow_id), json.dumps(data), ex=FLOW_TTL_SECONDS)
        secure = settings(self.request).secure_cookies
        response.set_cookie(self.cookie, flow_id, httponly=True, secure=secure, samesite="lax", path="/account",
                            max_age=FLOW_TTL_SECONDS)

    async def clear(self, response: Response) -> None:
        flow_id = self.request.cookies.get(self.cookie, "")
        if flow_id:
            await self.request.app.state.redis.delete(self._key(flow_id))
        response.delete_cookie(self.cookie, path="/account", secure=settings(self.request).secure_cookies,
                               httponly=True, samesite="lax")


def _png_size(data: bytes) -> tuple[int, int]:
    if len(data) >= 24 and data[:8] == b"\x89PNG\r\n\x1a\n":
        width, height = struct.unpack(">II", data[16:24])
        return int(width), int(height)
    return 0, 0


def _data_url(data: bytes, media_type: str = "image/png") -> str:
    return f"data:{media_type};base64," + base64.b64encode(data).decode("ascii")


async def new_human_check(request: Request, identity: IdentityClient, kind: str | None = None) -> dict[str, Any]:
    """A fresh challenge for the page: a slider (default) or, with ``?check=text``, a short question.

    Identity limits how many one client is issued (R-ID-5); past it the page is a 429 refusal
    saying when to come back (the app's handler for a service's refusal)."""
    chosen = kind or ("text" if request.query_params.get("check") == "text" else "slider")
    issued = await identity.issue_human_check(chosen, language_of(request), client_id(request))
    # The switch keeps the page's other query parameters (next=, channel=): no answers are in them.
    kept = [(k, v) for k, v in request.query_params.multi_items() if k != "check"]
    other = "slider" if chosen == "text" else "text"
    switch_href = request.url.path + "?" + urlencode([*kept, ("check", other)])
    check: dict[str, Any] = {"kind": chosen, "challenge_id": issued.challenge_id, "switch_href": switch_href}
    if chosen == "text":
        check["question"] = issued.question
        return check
    piece_width, piece_height = _png_size(issued.piece_png)
    width = issued.width
    check.update(
        background=_data_url(issued.background_image, issued.background_media_type or "image/jpeg"),
        piece=_data_url(issued.piece_png), width=width, height=issued.height, piece_y=issued.piece_y,
        piece_width=piece_width, piece_height=piece_height, max_x=max(1, width - piece_width),
    )
    return check


async def human_pass_from(request: Request, identity: IdentityClient, form: Any) -> str:
    """The pass for a solved check in ``form`` (fields hc_kind, hc_challenge, hc_answer); "" otherwise."""
    kind = "text" if form.get("hc_kind") == "text" else "slider"
    challenge = str(form.get("hc_challenge") or "")
    answer = str(form.get(HUMAN_FIELD) or "").strip()
    if not challenge or not answer:
        return ""
    return await identity.answer_human_check(challenge, answer, kind)


def human_check_failed(request: Request, found: FormErrors, kind: str) -> None:
    key = "account.check.wrong_text" if kind == "text" else "account.check.wrong_slider"
    found.add(HUMAN_FIELD, t(request, key))


async def document_type_options(request: Request, identity: IdentityClient) -> list[dict[str, str]]:
    """Document types with their format hints, in the person's language (R-ID-1)."""
    options = await identity.registration_options()
    english = language_of(request) == "en"
    return [
        {"value": vocabulary.document_type_code(o.code), "text": o.label_en if english else o.label_zh,
         "hint": o.format_hint_en if english else o.format_hint_zh}
        for o in options.document_types
    ]
