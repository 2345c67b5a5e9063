"""Storing a changed application (R-APP-2): one winner, history, published events.

Concurrency: every change writes ``version = version + 1 WHERE version = <read>``; of two
conflicting actions on one application exactly one wins and the other gets Conflict.
"""

from __future__ import annotations

from servicekit.errors import Conflict
from sqlalchemy.ext.asyncio import AsyncSession

from tqr_application.adapters import application_repository as repo
from tqr_application.domain.application import Application
from tqr_application.service_layer import events
from tqr_application.service_layer.context import ServiceContext


def conflict() -> Conflict:
    return Conflict("CONFLICT", "该申请刚被其他人修改，请刷新后重试",
                    "Someone else changed this application just now; reload and try again")


def check_expected_version(app: Application, expected_version: int) -> None:
    if expected_version and expected_version != app.version:
        raise conflict()


async def store(ctx: ServiceContext, session: AsyncSession, app: Application) -> None:
    """Write ``app`` inside the caller's transaction and stage the events its changes raised."""
    if not await repo.save(session, app):
        raise conflict()
    await events.stage_recorded(ctx, session, app)
