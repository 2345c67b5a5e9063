"""Render an event into the words of one channel, from the Jinja2 files in ``templates/``.

``render(event, channel)`` gives the templates the decoded event's fields (``message_view``) and
renders each part the channel needs with ``StrictUndefined``: a template naming a field the event
does not have fails loudly instead of sending a message with a hole in it. HTML parts are
autoescaped. The words the event does not carry come from filters: ``zh``/``en`` label a code
(``wording.LABELS``), ``status_guidance`` says what a status means and what to do next,
``minutes`` turns seconds into whole minutes.

In-app templates write each language in its own block (``{% block zh %}``, ``{% block en %}``):
``render_inapp_by_language`` renders each block on its own, so the inbox can show only the language
the page is in; ``render`` gives both, Chinese first, as every channel does.

Times are shown in Asia/Shanghai. A time is a ``datetime`` (from a ``google.protobuf.Timestamp``)
or, in events written before those fields, an ISO-8601 string; an instant without an offset is
taken as UTC (the services emit UTC); a bare date (``2026-03-01``) is already a calendar date and is
shown as it is.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jinja2
from google.protobuf.message import Message

from tqr_notification.domain import wording
from tqr_notification.domain.catalogue import CHANNEL_PARTS, Channel, ChannelNotProduced, spec_for
from tqr_notification.domain.message_view import view_of

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


def _moment(value: datetime | str) -> datetime | date:
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(SHANGHAI)
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
        return fmt(_moment(value if isinstance(value, datetime) else str(value)))

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


def _zh_label(value: Any, table: str) -> str:
    return wording.label(wording.LABELS[table], str(value))[0]


def _en_label(value: Any, table: str) -> str:
    return wording.label(wording.LABELS[table], str(value))[1]


def _minutes(seconds: Any) -> int:
    return max(1, int(seconds) // 60)


FILTERS: dict[str, Callable[..., Any]] = {
    "zh_date": _formatter(_zh_date),
    "zh_datetime": _formatter(_zh_datetime),
    "zh_short_date": _formatter(_zh_short_date),
    "en_date": _formatter(_en_date),
    "en_datetime": _formatter(_en_datetime),
    "zh": _zh_label,
    "en": _en_label,
    "minutes": _minutes,
    "status_guidance": wording.status_guidance,
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
    event: Message,
    channel: Channel | str,
    *,
    site_url: str = "",
    env: jinja2.Environment | None = None,
) -> RenderedMessage:
    """Render one event for one channel.

    Raises ``UnknownEvent`` for an event not in the catalogue, ``ChannelNotProduced`` when the event
    has no templates for ``channel``, and ``RenderingError`` when a template is missing or names a
    value the event does not have. ``site_url``, when given, is shown as the sign-in link;
    ``env`` replaces the packaged templates (tests).
    """
    spec = spec_for(event.DESCRIPTOR.full_name)
    chosen = Channel(channel)
    if chosen not in spec.channels:
        raise ChannelNotProduced(f"{spec.event_type} has no {chosen.value} templates")
    if chosen is Channel.INAPP:
        by_language = render_inapp_by_language(event, site_url=site_url, env=env)
        zh, en = by_language["zh"], by_language["en"]
        return RenderedMessage(f"{zh.subject} / {en.subject}", f"{zh.text}\n\n{en.text}")
    context = {**view_of(event), "site_url": site_url}
    parts: dict[str, str] = {}
    templates = env or environment()
    for part, name in spec.template_names(chosen).items():
        try:
            parts[part] = templates.get_template(name).render(context).strip()
        except jinja2.TemplateNotFound as missing:
            raise RenderingError(f"template {missing.name} is missing") from None
        except (jinja2.UndefinedError, jinja2.TemplateSyntaxError, ValueError, LookupError) as broken:
            # The message names the template and the undefined name, never the event's values.
            raise RenderingError(f"template {name} failed: {type(broken).__name__}: {broken}") from None
    return _assemble(chosen, parts)


LANGUAGES = ("zh", "en")


def render_inapp_by_language(
    event: Message, *, site_url: str = "", env: jinja2.Environment | None = None
) -> dict[str, RenderedMessage]:
    """The in-app title and body of ``event`` in each language ({"zh": …, "en": …}), each from its
    language's block of the templates. Raises as ``render`` does; a template without both
    blocks is a RenderingError."""
    spec = spec_for(event.DESCRIPTOR.full_name)
    if Channel.INAPP not in spec.channels:
        raise ChannelNotProduced(f"{spec.event_type} has no inapp templates")
    context = {**view_of(event), "site_url": site_url}
    templates = env or environment()
    parts: dict[str, dict[str, str]] = {lang: {} for lang in LANGUAGES}
    for part, name in spec.template_names(Channel.INAPP).items():
        try:
            template = templates.get_template(name)
            for lang in LANGUAGES:
                block = template.blocks.get(lang)
                if block is None:
                    raise RenderingError(f"template {name} has no {lang} block")
                parts[lang][part] = "".join(block(template.new_context(context))).strip()
        except jinja2.TemplateNotFound as missing:
            raise RenderingError(f"template {missing.name} is missing") from None
        except (jinja2.UndefinedError, jinja2.TemplateSyntaxError, ValueError, LookupError) as broken:
            raise RenderingError(f"template {name} failed: {type(broken).__name__}: {broken}") from None
    return {lang: RenderedMessage(found["title"], found["body"]) for lang, found in parts.items()}


def _assemble(channel: Channel, parts: dict[str, str]) -> RenderedMessage:
    if channel is Channel.EMAIL:
        return RenderedMessage(parts["subject"], parts["text"], parts["html"])
    assert CHANNEL_PARTS[channel] == ("text",)
    return RenderedMessage(None, parts["text"])
