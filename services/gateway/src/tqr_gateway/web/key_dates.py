"""The home page's 重要时间: each live registration plan's online and confirmation windows.

Read from the application service on every visit (plans change when an authority admin saves one).
A failure to read them must not take the front page down, so it becomes a line saying so.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import grpc
from fastapi import Request
from google.protobuf.timestamp_pb2 import Timestamp
from tqr.application.v1 import views_pb2 as views

log = logging.getLogger(__name__)

MAX_SHOWN = 30  # the rest are behind "and N more": the page is a summary, not a directory


@dataclass(frozen=True)
class PlanDates:
    authority: str
    plan: str
    online_start: datetime | None
    online_end: datetime | None
    confirm_start: datetime | None  # earliest of the points' windows; None when no point yet
    confirm_end: datetime | None  # latest of them


@dataclass(frozen=True)
class KeyDates:
    plans: list[PlanDates]
    more: int = 0
    unavailable: bool = False


def _when(ts: Timestamp) -> datetime | None:
    return None if ts.seconds == 0 and ts.nanos == 0 else ts.ToDatetime(tzinfo=UTC)


def plan_dates(plan: views.Plan) -> PlanDates:
    starts = [s for s in (_when(p.confirm_start) for p in plan.points) if s]
    ends = [e for e in (_when(p.confirm_end) for p in plan.points) if e]
    return PlanDates(plan.authority_name or plan.authority_code, plan.name, _when(plan.online_start),
                     _when(plan.online_end), min(starts) if starts else None, max(ends) if ends else None)


async def key_dates(request: Request) -> KeyDates | None:
    """None when the app runs the web shell alone (no services behind it)."""
    clients: Any = getattr(request.app.state, "clients", None)
    if clients is None:
        return None
    try:
        plans = await clients.application.current_plans()
    except grpc.aio.AioRpcError as exc:
        log.warning("home page: registration plans unavailable (%s)", exc.code())
        return KeyDates([], unavailable=True)
    return KeyDates([plan_dates(p) for p in plans[:MAX_SHOWN]], more=max(0, len(plans) - MAX_SHOWN))
