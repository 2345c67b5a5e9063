"""Work at the peak (R-STAFF-6): claims on applications and bulk decisions.

A bulk decision is one action on many applications. Each item goes through the single-decision
path (``staff.decide_one``: scope, transition table, claims, history, events, audit) in its own
transaction and gets its own result, so one refused item refuses nothing else. The request carries
an idempotency key: the first call with a key reserves it in the database (one row per staff member
and key), runs the batch and stores every item's result there; a repeat gets those results back and
changes nothing; a repeat while the first still runs is told so; the same key for a different
request is refused.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import timedelta
from typing import Any

from servicekit.errors import Conflict, FieldProblem, InvalidInput, RuleViolation, ServiceError

from tqr_application.adapters import application_repository as repo
from tqr_application.adapters import claim_repository
from tqr_application.adapters.claim_repository import Claim, Holder
from tqr_application.adapters.search_repository import SearchFilter, SummaryRow, search
from tqr_application.domain.roles import Actor
from tqr_application.domain.status import StatusAction, check_inputs
from tqr_application.service_layer import audit, claims, staff
from tqr_application.service_layer.access import require_role
from tqr_application.service_layer.context import ServiceContext

MAX_BULK_ITEMS = 500
BULK_ACTIONS = staff.DECISION_ACTIONS | staff.ON_SITE_ACTIONS
KEY = re.compile(r"^[A-Za-z0-9_.:-]{8,100}$")
# A run with no results this long after it started ended with its process; a repeat takes it over.
STALE_RUN = timedelta(minutes=10)


@dataclass(frozen=True)
class ItemResult:
    application_id: str
    application_number: str
    ok: bool
    status: str = ""
    code: str = ""
    message_zh: str = ""
    message_en: str = ""

    def stored(self) -> dict[str, Any]:
        return {"id": self.application_id, "number": self.application_number, "ok": self.ok,
                "status": self.status, "code": self.code, "zh": self.message_zh, "en": self.message_en}

    @classmethod
    def of(cls, row: dict[str, Any]) -> ItemResult:
        return cls(row["id"], row["number"], row["ok"], row["status"], row["code"], row["zh"], row["en"])


@dataclass(frozen=True)
class BulkOutcome:
    results: list[ItemResult]
    replayed: bool

    @property
    def succeeded(self) -> int:
        return sum(1 for r in self.results if r.ok)

    @property
    def refused(self) -> int:
        return len(self.results) - self.succeeded


def too_many(count_text: str) -> InvalidInput:
    return InvalidInput([FieldProblem(
        "application_ids", "R-STAFF-6",
        f"一次最多处理 {MAX_BULK_ITEMS} 份申请（本次{count_text}），请缩小筛选范围或分批处理",
        f"One bulk decision takes at most {MAX_BULK_ITEMS} applications (this one: {count_text}); "
        "narrow the filter or split the work",
    )], code="BULK_TOO_LARGE")


# --- claims ----------------------------------------------------------------------------------------

async def claim(ctx: ServiceContext, actor: Actor, display_name: str, application_id: str) -> Claim:
    """Claim (or renew the caller's claim on) an application in scope; refused while another staff
    member's claim lasts. Of two concurrent claims one wins (``claim_repository.take``)."""
    now = ctx.now()
    holder = Holder(actor.subject_id, (display_name.strip() or actor.subject_id)[:100], actor.role.value,
                    actor.organisation_code)
    async with ctx.transaction() as session:
        record = await staff.load_in_scope(ctx, session, actor, application_id)
        until = now + timedelta(minutes=ctx.settings.claim_minutes)
        taken = await claim_repository.take(session, record.id, holder, now, until)
        if taken is None:
            found = await claim_repository.current(session, record.id, now)
            if found is not None:
                raise claims.held_by_other(found)
            raise RuleViolation("R-STAFF-6", "该申请刚被其他人认领，请刷新后再试",
                                "Someone else claimed this application just now; reload and try again")
        await audit.record(session, actor, "CLAIM_APPLICATION", target_type="application", target_id=record.id,
                           at=now, detail={"until": taken.expires_at.isoformat()})
        return taken


async def release(ctx: ServiceContext, actor: Actor, application_id: str) -> bool:
    """End the caller's own claim; False when the caller held none."""
    async with ctx.transaction() as session:
        record = await staff.load_in_scope(ctx, session, actor, application_id)
        released = await claim_repository.release(session, record.id, actor.subject_id)
        if released:
            await audit.record(session, actor, "RELEASE_CLAIM", target_type="application", target_id=record.id,
                               at=ctx.now())
        return released


async def live_claims(ctx: ServiceContext, actor: Actor, application_ids: Sequence[str]) -> list[Claim]:
    """The live claims on those of ``application_ids`` in the caller's scope."""
    require_role(actor, *staff.STAFF)
    ids = list(dict.fromkeys(i for i in application_ids if i))
    if len(ids) > MAX_BULK_ITEMS:
        raise too_many(f" {len(ids)} 份")
    async with ctx.reading() as session:
        visible = await staff.in_scope_ids(session, actor, ids)
        return await claim_repository.current_of(session, visible, ctx.now())


# --- bulk decisions -------------------------------------------------------------------------------

async def resolve_selection(ctx: ServiceContext, actor: Actor, where: SearchFilter) -> list[SummaryRow]:
    """Every application the staff list's filter selects in the caller's scope, newest first; more
    than ``MAX_BULK_ITEMS`` is refused (the filter is narrowed first)."""
    scoped = staff.scoped(actor, where)
    if scoped is None:
        return []
    async with ctx.reading() as session:
        rows, more = await search(session, scoped, MAX_BULK_ITEMS, None)
    if more:
        raise too_many(f"超过 {MAX_BULK_ITEMS} 份")
    return rows


def _request_hash(action: StatusAction, reason: str, materials: Sequence[str], ids: Sequence[str] | None,
                  where: SearchFilter | None) -> str:
    body = {"action": action.value, "reason": reason.strip(), "materials": [m.strip() for m in materials],
            "ids": list(ids) if ids is not None else None,
            "filter": asdict(where) if where is not None else None}
    return hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def _check_request(action: StatusAction, reason: str, materials: Sequence[str], ids: Sequence[str] | None,
                   key: str) -> None:
    problems: list[FieldProblem] = []
    if not KEY.match(key):
        problems.append(FieldProblem("idempotency_key", "R-STAFF-6",
                                     "缺少有效的幂等键（8 至 100 个字母、数字或 _.:-）",
                                     "A valid idempotency key is needed (8 to 100 letters, digits or _.:-)"))
    if action not in BULK_ACTIONS:
        problems.append(FieldProblem("action", "R-APP-2", "这里不能执行该操作", "That action is not taken here"))
    if ids is not None and not ids:
        problems.append(FieldProblem("application_ids", "R-STAFF-6", "请至少选择一份申请",
                                     "Select at least one application"))
    if ids is not None and any(len(i) > 36 for i in ids):
        problems.append(FieldProblem("application_ids", "R-STAFF-6", "申请编号无效", "Invalid application id"))
    if problems:
        raise InvalidInput(problems, code=problems[0].code)
    if ids is not None and len(ids) > MAX_BULK_ITEMS:
        raise too_many(f" {len(ids)} 份")
    check_inputs(action, reason, tuple(materials))  # InvalidInput R-APP-2, before any item


async def bulk_decide(ctx: ServiceContext, actor: Actor, action: StatusAction, *, ids: Sequence[str] | None,
                      where: SearchFilter | None, reason: str, missing_materials: Sequence[str],
                      key: str) -> BulkOutcome:
    """R-STAFF-6. ``ids`` (in order, repeats dropped) or ``where`` (a staff list's filter)."""
    require_role(actor, *staff.STAFF)
    wanted = list(dict.fromkeys(i.strip() for i in ids if i.strip())) if ids is not None else None
    key = key.strip()
    _check_request(action, reason, missing_materials, wanted, key)
    digest = _request_hash(action, reason, missing_materials, wanted, where)
    now = ctx.now()
    async with ctx.reading() as session:
        earlier = await claim_repository.bulk_record(session, actor.subject_id, key)
    if earlier is not None:
        replay = await _replay_or_take_over(ctx, actor, key, digest, earlier)
        if replay is not None:
            return replay
    if wanted is None:  # before the key is reserved: a filter selecting too many reserves nothing
        wanted = [r.id for r in await resolve_selection(ctx, actor, where or SearchFilter())]
    if earlier is None:
        async with ctx.transaction() as session:
            reserved = await claim_repository.reserve_bulk(session, actor.subject_id, actor.organisation_code,
                                                           key, action.value, digest, now)
            concurrent = None if reserved else await claim_repository.bulk_record(session, actor.subject_id, key)
        if concurrent is not None:  # the same key arrived twice at once: the other call runs it
            replay = await _replay_or_take_over(ctx, actor, key, digest, concurrent)
            if replay is not None:
                return replay
    results = [await _one(ctx, actor, application_id, action, reason, missing_materials, key)
               for application_id in wanted]
    async with ctx.transaction() as session:
        await claim_repository.finish_bulk(session, actor.subject_id, key, [r.stored() for r in results], ctx.now())
        await audit.record(session, actor, "BULK_DECISION", target_type="bulk", target_id=key[:64], at=ctx.now(),
                           detail={"action": action.value, "items": len(results),
                                   "succeeded": sum(1 for r in results if r.ok),
                                   "refused": [r.application_id for r in results if not r.ok]})
    return BulkOutcome(results, replayed=False)


async def _replay_or_take_over(ctx: ServiceContext, actor: Actor, key: str, digest: str,
                               earlier: claim_repository.BulkRecord) -> BulkOutcome | None:
    """The stored outcome of the key's earlier run; None when this call takes over a run whose
    process ended before it finished."""
    if earlier.request_hash != digest:
        raise Conflict("R-STAFF-6", "这个幂等键已用于另一批操作，请重新发起",
                       "This idempotency key was used for a different bulk request; start a new one")
    if earlier.results is not None:
        return BulkOutcome([ItemResult.of(r) for r in earlier.results], replayed=True)
    now = ctx.now()
    async with ctx.transaction() as session:
        taken = await claim_repository.take_over_bulk(session, actor.subject_id, key, now - STALE_RUN, now)
    if not taken:
        raise Conflict("BULK_IN_PROGRESS", "同一批操作正在处理中，请稍后刷新查看结果",
                       "The same bulk request is still running; reload shortly to see its results")
    return None


async def _one(ctx: ServiceContext, actor: Actor, application_id: str, action: StatusAction, reason: str,
               missing_materials: Sequence[str], key: str) -> ItemResult:
    try:
        async with ctx.transaction() as session:
            record = await staff.decide_one(ctx, session, actor, application_id, action, allowed=BULK_ACTIONS,
                                            reason=reason, missing_materials=tuple(missing_materials),
                                            bulk_key=key)
            return ItemResult(record.id, record.application_number, True, record.status.value)
    except ServiceError as refusal:
        number, status = await _as_found(ctx, actor, application_id)
        message_zh, message_en = refusal.message_zh, refusal.message_en
        if isinstance(refusal, InvalidInput) and refusal.problems:
            message_zh = "；".join(p.message_zh for p in refusal.problems)
            message_en = "; ".join(p.message_en for p in refusal.problems)
        return ItemResult(application_id, number, False, status, refusal.code, message_zh, message_en)


async def _as_found(ctx: ServiceContext, actor: Actor, application_id: str) -> tuple[str, str]:
    """The refused item's number and status, when it is the caller's to see."""
    async with ctx.reading() as session:
        if not await staff.in_scope_ids(session, actor, [application_id]):
            return "", ""
        record = await repo.get(session, ctx.cipher, application_id)
    return (record.application_number, record.status.value) if record else ("", "")

