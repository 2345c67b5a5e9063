"""Status changes (R-APP-2): checked against the domain table, stored with history, published.

Concurrency: every change writes ``version = version + 1 WHERE version = <read>``; of two
conflicting actions on one application exactly one wins and the other gets Conflict.
"""

from __future__ import annotations

from dataclasses import replace

from servicekit.errors import Conflict
from sqlalchemy.ext.asyncio import AsyncSession

from tqr_application.adapters import application_repository as repo
from tqr_application.adapters.application_repository import ApplicationRecord, HistoryRecord
from tqr_application.domain.roles import Actor
from tqr_application.domain.status import StatusAction, TransitionRecord, apply_transition
from tqr_application.service_layer import events
from tqr_application.service_layer.context import ServiceContext


def conflict() -> Conflict:
    return Conflict("CONFLICT", "该申请刚被其他人修改，请刷新后重试",
                    "Someone else changed this application just now; reload and try again")


def check_expected_version(record: ApplicationRecord, expected_version: int) -> None:
    if expected_version and expected_version != record.version:
        raise conflict()


async def save(session: AsyncSession, record: ApplicationRecord, read_version: int) -> None:
    if not await repo.save_if_version(session, record, read_version):
        raise conflict()


async def apply_status_action(
    ctx: ServiceContext, session: AsyncSession, record: ApplicationRecord, actor: Actor, action: StatusAction,
    *, reason: str = "", missing_materials: tuple[str, ...] = (), changes: dict[str, str] | None = None,
) -> tuple[ApplicationRecord, TransitionRecord]:
    """Move ``record`` by ``action`` inside the caller's transaction: row, history, live key, event.

    ``changes`` may move authority_code / point_code / plan_id with the transition (CORRECT_AUTHORITY).
    """
    now = ctx.now()
    change = apply_transition(record.status, action, actor, now=now, reason=reason,
                              missing_materials=missing_materials)
    data = dict(record.data)
    data["last_reason"] = change.reason
    data["missing_materials"] = list(change.missing_materials)
    moved = replace(record, status=change.to_status, version=record.version + 1, data=data, updated_at=now,
                    **(changes or {}))
    await save(session, moved, record.version)
    await repo.append_history(session, record.id, HistoryRecord(
        from_status=change.from_status.value, to_status=change.to_status.value, action=action.value,
        actor_role=actor.role.value, actor_id=actor.subject_id, actor_org=actor.organisation_code,
        at=now, reason=change.reason, missing_materials=change.missing_materials,
    ))
    if change.to_status in repo.RELEASING_STATUSES:
        await repo.release_live(session, record.id)
    await ctx.events.stage(session, events.status_changed(moved, change), aggregate_id=record.id)
    return moved, change
