"""R-APP-2: every status shows its official label, its meaning and what the applicant may edit."""

from __future__ import annotations

import pytest
from tqr_application.domain.status import (
    STATUS_INFO,
    TRANSITIONS,
    EditScope,
)
from tqr_application.domain.status import ApplicationStatus as S

# Copied from DOMAIN.md R-APP-2; the official Chinese labels must not drift.
OFFICIAL_LABELS = {
    S.SUBMITTED: "信息提交成功，等待现场确认",
    S.MATERIALS_INCOMPLETE: "经审核材料不全，请向确认机构提交补齐",
    S.CONFIRMED: "信息已确认，待审批",
    S.WRONG_AUTHORITY: "经审核您选错了注册机构。请更正",
    S.NOT_ELIGIBLE: "您不属于注册对象",
    S.REGISTERED: "注册合格",
    S.DEFERRED: "暂缓注册",
    S.REJECTED: "注册不合格",
}

EDIT_SCOPES = {
    S.SUBMITTED: EditScope.ALL_UNTIL_CONFIRMATION_ENDS,
    S.WRONG_AUTHORITY: EditScope.AUTHORITY_AND_POINT_IN_ONLINE_WINDOW,
}


@pytest.mark.parametrize(("status", "label"), OFFICIAL_LABELS.items())
def test_r_app_2_status_has_the_official_chinese_label(status: S, label: str) -> None:
    assert STATUS_INFO[status].label_zh == label


@pytest.mark.parametrize("status", list(S))
def test_r_app_2_status_has_meaning_and_next_step_in_both_languages(status: S) -> None:
    info = STATUS_INFO[status]
    for text in (info.label_zh, info.label_en, info.meaning_zh, info.meaning_en,
                 info.next_step_zh, info.next_step_en):
        assert text.strip()


@pytest.mark.parametrize("status", list(S))
def test_r_app_2_applicant_may_edit_only_where_domain_says(status: S) -> None:
    assert STATUS_INFO[status].edit_scope is EDIT_SCOPES.get(status, EditScope.NOTHING)


@pytest.mark.parametrize("status", list(S))
def test_r_app_2_final_statuses_are_exactly_those_without_a_way_out(status: S) -> None:
    has_exit = any(t.from_status is status for t in TRANSITIONS)
    assert STATUS_INFO[status].final is (not has_exit)
    assert STATUS_INFO[status].final is (status in {S.NOT_ELIGIBLE, S.REGISTERED, S.DEFERRED,
                                                   S.REJECTED, S.WITHDRAWN, S.OVERDUE_UNCONFIRMED})
