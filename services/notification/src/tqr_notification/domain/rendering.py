"""Render an event into the words of one channel, from the Jinja2 files in ``templates/``.

``render(event_type, channel, payload)`` normalises the payload (MessageToDict drops default
values), adds the derived words of ``wording`` (labels, status guidance) and renders each part the
channel needs with ``StrictUndefined``: a template naming a field the event does not have fails
loudly instead of sending a message with a hole in it. HTML parts are autoescaped.

Dates arrive as ISO-8601 strings and are shown in Asia/Shanghai. An instant without an offset is
taken as UTC (the services emit UTC); a bare date (``2026-03-01``) is already a calendar date and
is shown as it is.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jinja2

from tqr_notification.domain import wording
from tqr_notification.domain.catalogue import (
    CHANNEL_PARTS,
    Channel,
    ChannelNotProduced,
    enum_value,
    normalize_payload,
    spec_for,
)

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"
SHANGHAI = ZoneInfo("Asia/Shanghai")
SMS_SIGNATURE = "【教师资格定期注册】"
SYSTEM_NAME_ZH = "教师资格定期注册网上申报系统"
SYSTEM_NAME_EN = "Teacher Qualification Periodic Registration"
_MISSING = "—"


@dataclass(frozen=True)
class RenderedMessage:
    """``subject`` is the email subject or in-app title (None for SMS); ``text`` the plain body;
    ``html`` only for email."""

    subject: str | None
    text: str
    html: str | None = None


class RenderingError(Exception):
    """A template is missing or broken; a bug in this service, never worth a retry."""


def _parse_moment(value: str) -> datetime | date:
    text = value.strip()
    if len(text) == 10:
        return date.fromisoformat(text)
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(SHANGHAI)


def _formatter(fmt: Callable[[datetime | date], str]) -> Callable[[Any], str]:
    def apply(value: Any) -> str:
        if value in (None, ""):
            return _MISSING
        return fmt(_parse_moment(str(value)))

    return apply


def _zh_date(moment: datetime | date) -> str:
    return f"{moment.year}年{moment.month}月{moment.day}日"


def _zh_datetime(moment: datetime | date) -> str:
    if isinstance(moment, datetime):
        return f"{_zh_date(moment)} {moment:%H:%M}"
    return _zh_date(moment)


def _zh_short_date(moment: datetime | date) -> str:
    return f"{moment.month}月{moment.day}日"


def _en_date(moment: datetime | date) -> str:
    return f"{moment.day} {moment:%b %Y}"


def _en_datetime(moment: datetime | date) -> str:
    if isinstance(moment, datetime):
        return f"{_en_date(moment)}, {moment:%H:%M} (Beijing time)"
    return _en_date(moment)


FILTERS: dict[str, Callable[[Any], str]] = {
    "zh_date": _formatter(_zh_date),
    "zh_datetime": _formatter(_zh_datetime),
    "zh_short_date": _formatter(_zh_short_date),
    "en_date": _formatter(_en_date),
    "en_datetime": _formatter(_en_datetime),
}


def _code_words(payload: Mapping[str, Any]) -> dict[str, Any]:
    zh, en = wording.label(wording.CODE_PURPOSES, enum_value(payload["purpose"], "CODE_PURPOSE_"))
    minutes = max(1, int(payload["expires_in_seconds"]) // 60)
    return {"purpose_zh": zh, "purpose_en": en, "expires_minutes": minutes}


def _decision_words(payload: Mapping[str, Any]) -> dict[str, Any]:
    zh, en = wording.label(wording.DECISIONS, str(payload["decision"]))
    return {"decision_zh": zh, "decision_en": en, "approved": payload["decision"] == "APPROVED"}


def _support_words(payload: Mapping[str, Any]) -> dict[str, Any]:
    kind_zh, kind_en = wording.label(wording.SUPPORT_REQUEST_KINDS, str(payload["kind"]))
    return {**_decision_words(payload), "kind_zh": kind_zh, "kind_en": kind_en}


def _password_words(payload: Mapping[str, Any]) -> dict[str, Any]:
    zh, en = wording.label(wording.PASSWORD_CHANGE_WAYS, str(payload["via"]))
    return {"via_zh": zh, "via_en": en}


def _status_words(payload: Mapping[str, Any]) -> dict[str, Any]:
    actor_zh, actor_en = wording.label(wording.ROLES, str(payload["actor_role"]))
    guidance = wording.status_guidance(str(payload["to_status"]), str(payload["status_label"]))
    return {"guidance": guidance, "actor_zh": actor_zh, "actor_en": actor_en}


def _message_words(payload: Mapping[str, Any]) -> dict[str, Any]:
    zh, en = wording.label(wording.ROLES, str(payload["author_role"]))
    return {"author_role_zh": zh, "author_role_en": en}


def _update_words(payload: Mapping[str, Any]) -> dict[str, Any]:
    labels = [wording.label(wording.APPLICATION_SECTIONS, str(s)) for s in payload["changed_sections"]]
    return {"sections_zh": [zh for zh, _ in labels], "sections_en": [en for _, en in labels]}


# Extra words each event's templates use, derived from its payload. Explicit, like the catalogue.
DERIVED_WORDS: dict[str, Callable[[Mapping[str, Any]], dict[str, Any]]] = {
    "tqr.identity.v1.VerificationCodeRequested": _code_words,
    "tqr.identity.v1.ManualReviewDecided": _decision_words,
    "tqr.identity.v1.SupportRequestDecided": _support_words,
    "tqr.identity.v1.PasswordChanged": _password_words,
    "tqr.application.v1.ApplicationStatusChanged": _status_words,
    "tqr.application.v1.MessagePosted": _message_words,
    "tqr.application.v1.ApplicationUpdated": _update_words,
}


@functools.lru_cache(maxsize=4)
def environment(templates_dir: Path = TEMPLATES_DIR) -> jinja2.Environment:
    """The template environment of a directory, built on first use (no I/O at import time)."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates_dir),
        undefined=jinja2.StrictUndefined,
        autoescape=jinja2.select_autoescape(
            enabled_extensions=("html.j2",), default_for_string=False, default=False
        ),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    env.filters.update(FILTERS)
    env.globals.update(
        sms_signature=SMS_SIGNATURE, system_name_zh=SYSTEM_NAME_ZH, system_name_en=SYSTEM_NAME_EN
    )
    return env


def render(
    event_type: str,
    channel: Channel | str,
    payload: Mapping[str, Any],
    *,
    site_url: str = "",
    env: jinja2.Environment | None = None,
) -> RenderedMessage:
    """Render one event for one channel.

    Raises ``UnknownEvent`` for an event not in the catalogue, ``ChannelNotProduced`` when the event
    has no templates for ``channel``, and ``RenderingError`` when a template is missing or names a
    value the payload does not have. ``site_url``, when given, is shown as the sign-in link;
    ``env`` replaces the packaged templates (tests).
    """
    spec = spec_for(event_type)
    chosen = Channel(channel)
    if chosen not in spec.all_channels():
        raise ChannelNotProduced(f"{event_type} has no {chosen.value} templates")
    context = normalize_payload(spec, payload)
    derive = DERIVED_WORDS.get(event_type)
    if derive is not None:
        context.update(derive(context))
    context["site_url"] = site_url
    parts: dict[str, str] = {}
    templates = env or environment()
    for part, name in spec.template_names(chosen).items():
        try:
            parts[part] = templates.get_template(name).render(context).strip()
        except jinja2.TemplateNotFound as missing:
            raise RenderingError(f"template {missing.name} is missing") from None
        except (jinja2.UndefinedError, jinja2.TemplateSyntaxError, ValueError) as broken:
            # The message names the template and the undefined name, never the payload's values.
            raise RenderingError(f"template {name} failed: {type(broken).__name__}: {broken}") from None
    return _assemble(chosen, parts)


def _assemble(channel: Channel, parts: dict[str, str]) -> RenderedMessage:
    if channel is Channel.EMAIL:
        return RenderedMessage(parts["subject"], parts["text"], parts["html"])
    if channel is Channel.INAPP:
        return RenderedMessage(parts["title"], parts["body"])
    assert CHANNEL_PARTS[channel] == ("text",)
    return RenderedMessage(None, parts["text"])
