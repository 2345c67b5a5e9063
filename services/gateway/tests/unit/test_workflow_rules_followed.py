"""R-APP-2, R-STAFF-2: the console and the wizard follow the rules the application service serves
(GetWorkflowRules) rather than copies of their own; the gateway asks once a minute per process.

Each test changes the served answer and shows the console (or the cache) changing with it.
"""

from __future__ import annotations

from typing import Any

import grpc
import pytest
from tqr.application.v1 import application_pb2 as ref_pb
from tqr.application.v1 import status_pb2
from tqr_gateway.clients.workflow_rules import WorkflowRules, WorkflowRulesSource

from services.gateway.tests.unit.staff_fakes import APP_ID, console
from services.gateway.tests.unit.workflow_fakes import served_rules


def _rule(rules: ref_pb.GetWorkflowRulesResponse, action: int) -> ref_pb.ActionRule:
    return next(r for r in rules.actions if r.action == action)


def test_r_app_2_a_served_reason_rule_changes_what_the_console_asks_for() -> None:
    with console() as running:
        _rule(running.calls.rules, status_pb2.CONFIRM_ON_SITE).reason_required = True
        _rule(running.calls.rules, status_pb2.MARK_NOT_ELIGIBLE).reason_required = False
        running.sign_in("tok-point")
        form = running.client.get(f"/staff/applications/{APP_ID}/actions/CONFIRM_ON_SITE")
        assert form.status_code == 200 and "说明（可选）" not in form.text  # the reason box is required now
        refused = running.post(f"/staff/applications/{APP_ID}/actions/CONFIRM_ON_SITE", {"reason": " "})
        assert refused.status_code == 422 and "请填写原因" in refused.text
        assert not running.calls.of("act")
        taken = running.post(f"/staff/applications/{APP_ID}/actions/MARK_NOT_ELIGIBLE", {"reason": ""})
        assert taken.status_code == 303
        assert [r.action for r, _ in running.calls.of("act")] == ["MARK_NOT_ELIGIBLE"]


def test_r_staff_2_the_served_materials_checklist_is_the_one_offered_and_sent() -> None:
    with console() as running:
        del running.calls.rules.materials_checklist[:]
        running.calls.rules.materials_checklist.add(code="DEGREE", name_zh="学历证书原件", name_en="The original degree")
        running.sign_in("tok-point")
        form = running.client.get(f"/staff/applications/{APP_ID}/actions/MARK_MATERIALS_INCOMPLETE")
        assert "学历证书原件" in form.text and "体检合格证明" not in form.text
        answer = running.client.post(
            f"/staff/applications/{APP_ID}/actions/MARK_MATERIALS_INCOMPLETE", follow_redirects=False,
            data={"csrf_token": running.csrf(), "materials": ["DEGREE", "HEALTH_CERTIFICATE"]})
        assert answer.status_code == 303
        (request, _), = running.calls.of("act")
        assert list(request.missing_materials) == ["学历证书原件"]  # a code the service no longer lists is dropped


def test_r_app_2_an_action_the_service_no_longer_serves_is_not_offered() -> None:
    with console() as running:
        kept = [r for r in running.calls.rules.actions if r.action != status_pb2.MARK_WRONG_AUTHORITY]
        del running.calls.rules.actions[:]
        running.calls.rules.actions.extend(kept)
        running.sign_in("tok-point")
        page = running.client.get(f"/staff/applications/{APP_ID}")
        assert "/actions/CONFIRM_ON_SITE" in page.text and "/actions/MARK_WRONG_AUTHORITY" not in page.text
        answer = running.post(f"/staff/applications/{APP_ID}/actions/MARK_WRONG_AUTHORITY", {"reason": "x"})
        assert answer.status_code == 422 and not running.calls.of("act")


def test_r_staff_2_the_list_filter_offers_the_served_statuses() -> None:
    with console() as running:
        kept = [s for s in running.calls.rules.statuses if s.status != status_pb2.WITHDRAWN]
        del running.calls.rules.statuses[:]
        running.calls.rules.statuses.extend(kept)
        running.sign_in("tok-admin")
        page = running.client.get("/staff/applications")
        assert 'value="CONFIRMED"' in page.text and 'value="WITHDRAWN"' not in page.text
        running.client.get("/staff/applications?status=WITHDRAWN")
        (request, _), = running.calls.of("search")[-1:]
        assert request.status == ""  # not served: no filter


class _Reference:
    def __init__(self) -> None:
        self.asked = 0
        self.failing = False
        self.cycle_years = 5

    async def GetWorkflowRules(self, request: Any) -> ref_pb.GetWorkflowRulesResponse:
        self.asked += 1
        if self.failing:
            raise grpc.aio.AioRpcError(grpc.StatusCode.UNAVAILABLE, grpc.aio.Metadata(), grpc.aio.Metadata())
        answer = served_rules()
        answer.cycle_years = self.cycle_years
        return answer


async def test_the_rules_are_asked_once_a_minute_and_a_failed_refresh_keeps_the_last_answer() -> None:
    now = [100.0]
    source = WorkflowRulesSource(grpc.aio.insecure_channel("127.0.0.1:1"), clock=lambda: now[0])
    reference = _Reference()
    source._reference = reference  # type: ignore[assignment]
    first = await source.get()
    assert isinstance(first, WorkflowRules) and first.cycle_years == 5
    reference.cycle_years = 6
    now[0] += 59
    assert (await source.get()).cycle_years == 5 and reference.asked == 1
    now[0] += 2
    assert (await source.get()).cycle_years == 6 and reference.asked == 2  # a deploy's rules within a minute
    reference.failing = True
    now[0] += 61
    assert (await source.get()).cycle_years == 6  # the service's last answer, not an error page
    assert reference.asked == 3


async def test_with_no_answer_yet_a_failure_goes_up_like_any_rpc_error() -> None:
    source = WorkflowRulesSource(grpc.aio.insecure_channel("127.0.0.1:1"))
    reference = _Reference()
    reference.failing = True
    source._reference = reference  # type: ignore[assignment]
    with pytest.raises(grpc.aio.AioRpcError):
        await source.get()


def test_served_staff_actions_are_the_staff_roles_ones_in_workflow_order() -> None:
    rules = WorkflowRules.of(served_rules())
    assert rules.staff_actions == ("CONFIRM_ON_SITE", "MARK_MATERIALS_INCOMPLETE", "MARK_WRONG_AUTHORITY",
                                   "MARK_NOT_ELIGIBLE", "APPROVE_REGISTERED", "DEFER", "REJECT")
    assert {a for a in rules.actions if rules.needs_reason(a)} == {"MARK_WRONG_AUTHORITY", "MARK_NOT_ELIGIBLE",
                                                                   "DEFER", "REJECT"}


def test_without_the_served_change_the_confirmation_takes_no_reason() -> None:
    """The control for the first test: the real rules ask no reason to confirm."""
    with console() as running:
        running.sign_in("tok-point")
        form = running.client.get(f"/staff/applications/{APP_ID}/actions/CONFIRM_ON_SITE")
        assert "说明（可选）" in form.text
