"""Broadcasts (R-STAFF-7): one message to every applicant of a plan or a point, filtered by status.

This service owns who the recipients are (the applications). A broadcast is previewed first (the
count and the text as sent; nothing written), then sent: in one transaction the broadcast row, the
audit line and one BroadcastPosted event per page of recipients go to the database and the outbox.
The notification service delivers each recipient's copy once, keyed by (broadcast, recipient).

Scope (R-STAFF-4): an authority admin writes to a plan of its authority or to one of its points; a
point's staff to its own point, or to a plan that includes it, and then only to the plan's
applicants at that point. The scope comes from the caller, never from the request.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from google.protobuf.timestamp_pb2 import Timestamp
from servicekit.errors import FieldProblem, InvalidInput, NotFound, PermissionDenied
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from tqr.application.v1 import broadcast_pb2

from tqr_application.adapters import orm
from tqr_application.adapters import plan_repository as plans_repo
from tqr_application.adapters import reference_repository as ref
from tqr_application.domain.roles import Actor, Role
from tqr_application.domain.status import ApplicationStatus
from tqr_application.service_layer import audit
from tqr_application.service_layer.access import require_role
from tqr_application.service_layer.context import ServiceContext

RULE = "R-STAFF-7"
MAX_SUBJECT = 100
MAX_BODY = 2000
# Recipients per BroadcastPosted event: a page is one consumer transaction in the notification
# service (an inbox message and up to two delivery rows per recipient).
PAGE_SIZE = 500


@dataclass(frozen=True)
class Audience:
    plan_id: str = ""
    point_code: str = ""
    statuses: tuple[ApplicationStatus, ...] = ()


@dataclass(frozen=True)
class Text:
    subject_zh: str
    body_zh: str
    subject_en: str = ""
    body_en: str = ""


@dataclass(frozen=True)
class Preview:
    recipient_count: int
    text: Text
    author_org_name: str
    audience_label: str


@dataclass(frozen=True)
class Sent:
    broadcast_id: str
    recipient_count: int
    sent_at: datetime


def clean_text(text: Text) -> Text:
    """Trimmed; Chinese subject and body required, English both or neither; bounded lengths."""
    cleaned = Text(*(part.strip() for part in (text.subject_zh, text.body_zh, text.subject_en, text.body_en)))
    problems: list[FieldProblem] = []

    def bounded(field: str, value: str, limit: int, name_zh: str, name_en: str, *, required: bool) -> None:
        if required and not value:
            problems.append(FieldProblem(field, RULE, f"请填写{name_zh}", f"Enter the {name_en}"))
        elif len(value) > limit:
            problems.append(FieldProblem(field, RULE, f"{name_zh}不能超过 {limit} 个字",
                                         f"The {name_en} may be at most {limit} characters"))

    bounded("subject_zh", cleaned.subject_zh, MAX_SUBJECT, "中文标题", "Chinese subject", required=True)
    bounded("body_zh", cleaned.body_zh, MAX_BODY, "中文正文", "Chinese message", required=True)
    english = bool(cleaned.subject_en or cleaned.body_en)
    bounded("subject_en", cleaned.subject_en, MAX_SUBJECT, "英文标题", "English subject", required=english)
    bounded("body_en", cleaned.body_en, MAX_BODY, "英文正文", "English message", required=english)
    if problems:
        raise InvalidInput(problems)
    return cleaned


def _audience_problem(message_zh: str, message_en: str) -> InvalidInput:
    return InvalidInput([FieldProblem("audience", RULE, message_zh, message_en)])


async def _organisation_name(session: AsyncSession, actor: Actor) -> str:
    if actor.role is Role.AUTHORITY_ADMIN:
        authority = await ref.get_authority(session, actor.organisation_code)
        return authority.name if authority else actor.organisation_code
    found = await ref.get_point(session, actor.organisation_code)
    return found[0].name if found else actor.organisation_code


@dataclass(frozen=True)
class _Scope:
    """The applications a broadcast reaches, once the caller's organisation has been checked."""

    plan_id: str | None
    point_code: str | None
    label: str


async def _scope(session: AsyncSession, actor: Actor, audience: Audience) -> _Scope:
    require_role(actor, Role.AUTHORITY_ADMIN, Role.POINT_STAFF)
    plan_id, point_code = audience.plan_id.strip(), audience.point_code.strip()
    if bool(plan_id) == bool(point_code):
        raise _audience_problem("请选择一个注册计划或一个确认点", "Choose one registration plan or one point")
    if plan_id:
        plan = await plans_repo.get_plan(session, plan_id)
        if plan is None:
            raise NotFound("PLAN_NOT_FOUND", "找不到该注册计划", "No such registration plan")
        if actor.role is Role.AUTHORITY_ADMIN:
            if plan.authority_code != actor.organisation_code:
                raise PermissionDenied(RULE, "只能给本注册机构计划的申请人发消息",
                                       "You can write only to the applicants of your own authority's plans")
            return _Scope(plan.plan_id, None, plan.title)
        if actor.organisation_code not in plan.point_codes:
            raise PermissionDenied(RULE, "该注册计划不包括您所在的确认点",
                                   "This registration plan does not include your point")
        return _Scope(plan.plan_id, actor.organisation_code, plan.title)
    found = await ref.get_point(session, point_code)
    if found is None:
        raise NotFound("POINT_NOT_FOUND", "找不到该确认点", "No such confirmation point")
    point = found[0]
    allowed = (point.authority_code == actor.organisation_code if actor.role is Role.AUTHORITY_ADMIN
               else point.code == actor.organisation_code)
    if not allowed:
        raise PermissionDenied(RULE, "只能给本机构确认点的申请人发消息",
                               "You can write only to the applicants of your own organisation's points")
    return _Scope(None, point.code, point.name)


async def recipients(session: AsyncSession, scope: _Scope, statuses: Sequence[ApplicationStatus]) -> list[str]:
    """The applicants' account ids, each once (one person may hold several applications)."""
    t = orm.applications
    query = select(t.c.applicant_id).distinct()
    if scope.plan_id is not None:
        query = query.where(t.c.plan_id == scope.plan_id)
    if scope.point_code is not None:
        query = query.where(t.c.point_code == scope.point_code)
    if statuses:
        query = query.where(t.c.status.in_([s.value for s in statuses]))
    return list((await session.scalars(query.order_by(t.c.applicant_id))).all())


async def preview(ctx: ServiceContext, actor: Actor, audience: Audience, text: Text) -> Preview:
    cleaned = clean_text(text)
    async with ctx.reading() as session:
        scope = await _scope(session, actor, audience)
        found = await recipients(session, scope, audience.statuses)
        org_name = await _organisation_name(session, actor)
    return Preview(len(found), cleaned, org_name, scope.label)


def _ts(instant: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(instant)
    return stamp


async def _already_sent(session: AsyncSession, actor: Actor, key: str) -> Sent | None:
    t = orm.broadcasts
    row = (await session.execute(
        select(t.c.id, t.c.recipient_count, t.c.created_at)
        .where(t.c.author_id == actor.subject_id, t.c.idempotency_key == key))).first()
    return Sent(row.id, int(row.recipient_count), row.created_at) if row else None


async def send(ctx: ServiceContext, actor: Actor, audience: Audience, text: Text, *, idempotency_key: str,
               expected_count: int) -> Sent:
    """Record, audit and publish (in pages) one broadcast; a repeated key answers the first one."""
    cleaned = clean_text(text)
    key = idempotency_key.strip()
    if not key or len(key) > 64:
        raise InvalidInput([FieldProblem("idempotency_key", RULE, "请从预览页面发送", "Send from the preview page")])
    try:
        async with ctx.transaction() as session:
            done = await _already_sent(session, actor, key)
            if done is not None:
                return done
            scope = await _scope(session, actor, audience)
            found = await recipients(session, scope, audience.statuses)
            if not found:
                raise _audience_problem("没有符合条件的申请人，消息未发送",
                                        "No applicant matches; nothing was sent")
            if len(found) != expected_count:
                raise _audience_problem(
                    f"收件人数已变为 {len(found)} 人，请重新预览后再发送",
                    f"The number of recipients is now {len(found)}; preview again before sending")
            sent = await _record(ctx, session, actor, scope, audience, cleaned, key, found)
    except IntegrityError:
        # The same form sent twice at once: the other request recorded it.
        async with ctx.reading() as session:
            done = await _already_sent(session, actor, key)
        if done is None:
            raise
        return done
    return sent


async def _record(ctx: ServiceContext, session: AsyncSession, actor: Actor, scope: _Scope, audience: Audience,
                  text: Text, key: str, found: list[str]) -> Sent:
    broadcast_id, now = str(uuid.uuid4()), ctx.now()
    org_name = await _organisation_name(session, actor)
    pages = [found[i:i + PAGE_SIZE] for i in range(0, len(found), PAGE_SIZE)]
    statuses = [s.value for s in audience.statuses]
    await session.execute(orm.broadcasts.insert().values(
        id=broadcast_id, idempotency_key=key, author_id=actor.subject_id, author_role=actor.role.value,
        author_org=actor.organisation_code, author_org_name=org_name, plan_id=scope.plan_id,
        point_code=scope.point_code, statuses=statuses, subject_zh=text.subject_zh, body_zh=text.body_zh,
        subject_en=text.subject_en, body_en=text.body_en, recipient_count=len(found), pages=len(pages),
        created_at=now,
    ))
    await session.flush()  # a repeated key fails here, before any event is staged
    await audit.record(session, actor, "BROADCAST", target_type="broadcast", target_id=broadcast_id, at=now,
                       detail={"plan_id": scope.plan_id, "point_code": scope.point_code, "statuses": statuses,
                               "recipients": len(found), "pages": len(pages)})
    for number, page in enumerate(pages, start=1):
        await ctx.events.stage(session, broadcast_pb2.BroadcastPosted(
            broadcast_id=broadcast_id, page=number, pages=len(pages), applicant_ids=page,
            author_org_name=org_name, author_role=actor.role.value, subject_zh=text.subject_zh,
            body_zh=text.body_zh, subject_en=text.subject_en, body_en=text.body_en, posted_at=_ts(now),
        ), aggregate_id=broadcast_id)
    return Sent(broadcast_id, len(found), now)
