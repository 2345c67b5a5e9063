"""Step 4's online-window text of every authority, worked out once for the remembered plans and
again only when a window ends, the plans change or the language does (step_context.authority_windows)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from starlette.requests import Request
from tqr.application.v1 import views_pb2 as views
from tqr_gateway.pages.wizard import step_context

START = datetime(2036, 3, 1, 1, 0, tzinfo=UTC)


def plan(authority: str, start: datetime, end: datetime) -> views.Plan:
    found = views.Plan(plan_id=f"plan-{authority}-{start:%m%d}", authority_code=authority)
    found.online_start.FromDatetime(start)
    found.online_end.FromDatetime(end)
    return found


class Remembered:
    """The plans as ReferenceAt hands them out while remembered: the same list each time."""

    def __init__(self, plans: list[views.Plan]) -> None:
        self.plans = plans

    async def current_plans(self) -> list[views.Plan]:
        return self.plans


def request(lang: str = "zh") -> Request:
    return Request({"type": "http", "headers": [], "state": {"lang": lang}})


@pytest.fixture
def worked_out(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    counted: list[str] = []
    real = step_context.window_text

    def counting(lang: str, found: Any, now: datetime) -> str:
        counted.append(lang)
        return real(lang, found, now)

    monkeypatch.setattr(step_context, "window_text", counting)
    monkeypatch.setattr(step_context, "_window_texts", {}, raising=False)
    return counted


async def test_the_texts_are_worked_out_once_for_the_same_plans_and_language(worked_out: list[str]) -> None:
    plans = Remembered([plan("110108", START, START + timedelta(days=10)),
                        plan("110106", START, START + timedelta(days=20))])
    now = START + timedelta(days=1)
    first = await step_context.authority_windows(request(), plans, now)  # type: ignore[arg-type]
    again = await step_context.authority_windows(request(), plans, now + timedelta(hours=1))  # type: ignore[arg-type]
    assert again == first and len(worked_out) == 2
    english = await step_context.authority_windows(request("en"), plans, now)  # type: ignore[arg-type]
    assert "online" in english["110108"] and len(worked_out) == 4


async def test_a_window_that_ends_makes_them_worked_out_again_and_says_it_is_over(worked_out: list[str]) -> None:
    ends = START + timedelta(days=10)
    plans = Remembered([plan("110108", START, ends), plan("110106", START, START + timedelta(days=20))])
    before = await step_context.authority_windows(request(), plans, ends - timedelta(minutes=1))  # type: ignore[arg-type]
    after = await step_context.authority_windows(request(), plans, ends + timedelta(minutes=1))  # type: ignore[arg-type]
    assert "结束" not in before["110108"] and "结束" in after["110108"]
    assert after["110106"] == before["110106"] and len(worked_out) == 4


async def test_other_plans_are_worked_out_again(worked_out: list[str]) -> None:
    """A new list (a newer reference version, or none remembered) is never taken for the old one."""
    now = START + timedelta(days=1)
    first = Remembered([plan("110108", START, START + timedelta(days=10))])
    second = Remembered([plan("110108", START, START + timedelta(days=30))])
    await step_context.authority_windows(request(), first, now)  # type: ignore[arg-type]
    later = await step_context.authority_windows(request(), second, now)  # type: ignore[arg-type]
    assert "2036年3月31日" in later["110108"]
    assert len(worked_out) == 2
