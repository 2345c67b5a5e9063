"""R-APP-3: what an applicant may still change after submitting."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from servicekit.errors import RuleViolation
from tqr_application.domain.edits import (
    CertificateSection,
    FieldGroup,
    edit_certificate,
    edit_deadline,
    editable_groups,
    ensure_may_change_authority,
    ensure_may_edit,
)
from tqr_application.domain.reference import RegistryCertificate
from tqr_application.domain.status import ApplicationStatus as S

CONFIRM_END = datetime(2026, 4, 30, 9, 0, tzinfo=UTC)
BEFORE = CONFIRM_END - timedelta(days=1)
AFTER = CONFIRM_END + timedelta(seconds=1)

SELF_FILLED = CertificateSection(
    certificate_number="20101100122000017", document_number="110108198001010011",
    holder_name="王小明", certificate_type_code="PRIMARY", subject_code="MATH",
    issuing_body="北京市海淀区教育委员会", issue_date=date(2010, 7, 1),
)
REGISTRY = RegistryCertificate(
    certificate_number="20101100122000099", holder_name="王晓明", document_type="ID_CARD",
    document_number="110108198001010011", certificate_type_code="JUNIOR_SECONDARY",
    subject_code="CHINESE", issuing_body="北京市海淀区教育委员会", issue_date=date(2011, 7, 1),
)


def registry_lookup(cert: str, doc: str) -> RegistryCertificate | None:
    if (cert, doc) == (REGISTRY.certificate_number, REGISTRY.document_number):
        return REGISTRY
    return None


def test_r_app_3_r_app_6_submitted_may_edit_every_section_before_window_end() -> None:
    groups = editable_groups(S.SUBMITTED, now=BEFORE, confirmation_end=CONFIRM_END, certificate_locked=False)
    assert groups == {FieldGroup.CERTIFICATE, FieldGroup.MATERIALS, FieldGroup.CONTACT, FieldGroup.POINT,
                      FieldGroup.TEACHING}


def test_r_app_3_edit_allowed_at_the_exact_end_of_the_window() -> None:
    ensure_may_edit(S.SUBMITTED, FieldGroup.MATERIALS, now=CONFIRM_END, confirmation_end=CONFIRM_END)


def test_r_app_3_registry_locked_certificate_is_never_editable() -> None:
    groups = editable_groups(S.SUBMITTED, now=BEFORE, confirmation_end=CONFIRM_END, certificate_locked=True)
    assert FieldGroup.CERTIFICATE not in groups
    with pytest.raises(RuleViolation) as caught:
        ensure_may_edit(S.SUBMITTED, FieldGroup.CERTIFICATE, now=BEFORE, confirmation_end=CONFIRM_END,
                        certificate_locked=True)
    assert caught.value.code == "R-APP-3"


@pytest.mark.parametrize("group", [FieldGroup.CERTIFICATE, FieldGroup.MATERIALS, FieldGroup.CONTACT])
def test_r_app_3_nothing_editable_once_the_confirmation_window_has_ended(group: FieldGroup) -> None:
    assert editable_groups(S.SUBMITTED, now=AFTER, confirmation_end=CONFIRM_END,
                           certificate_locked=False) == frozenset()
    with pytest.raises(RuleViolation) as caught:
        ensure_may_edit(S.SUBMITTED, group, now=AFTER, confirmation_end=CONFIRM_END)
    assert caught.value.message_zh == "现场确认时间已结束，申请信息不能再修改"


READ_ONLY = [S.MATERIALS_INCOMPLETE, S.CONFIRMED, S.NOT_ELIGIBLE, S.REGISTERED, S.DEFERRED,
             S.REJECTED, S.WITHDRAWN]


@pytest.mark.parametrize("status", READ_ONLY)
@pytest.mark.parametrize("group", [FieldGroup.CERTIFICATE, FieldGroup.MATERIALS, FieldGroup.CONTACT])
def test_r_app_3_after_confirmation_everything_is_read_only(status: S, group: FieldGroup) -> None:
    groups = editable_groups(status, now=BEFORE, confirmation_end=CONFIRM_END, certificate_locked=False)
    assert groups == set()
    with pytest.raises(RuleViolation) as caught:
        ensure_may_edit(status, group, now=BEFORE, confirmation_end=CONFIRM_END)
    assert "不能修改" in caught.value.message_zh


@pytest.mark.parametrize("group", [FieldGroup.CERTIFICATE, FieldGroup.MATERIALS, FieldGroup.CONTACT])
def test_r_app_3_wrong_authority_allows_only_authority_and_point(group: FieldGroup) -> None:
    assert editable_groups(S.WRONG_AUTHORITY, now=BEFORE, confirmation_end=CONFIRM_END,
                           certificate_locked=False) == {FieldGroup.AUTHORITY_AND_POINT}
    with pytest.raises(RuleViolation):
        ensure_may_edit(S.WRONG_AUTHORITY, group, now=BEFORE, confirmation_end=CONFIRM_END)


def test_r_app_3_wrong_authority_with_no_open_plan_shows_nothing_editable() -> None:
    assert editable_groups(S.WRONG_AUTHORITY, now=BEFORE, confirmation_end=CONFIRM_END,
                           certificate_locked=False, online_window_open=False) == frozenset()


def test_r_app_3_change_authority_inside_the_new_plans_window() -> None:
    ensure_may_change_authority(S.WRONG_AUTHORITY, now=BEFORE,
                                new_plan_online_start=BEFORE - timedelta(days=5),
                                new_plan_online_end=BEFORE + timedelta(days=5),
                                new_point_confirm_end=BEFORE + timedelta(days=9))


def test_r_app_3_change_authority_before_the_new_plan_opens_names_the_date() -> None:
    start = datetime(2026, 5, 10, 1, 0, tzinfo=UTC)  # 09:00 Beijing time
    with pytest.raises(RuleViolation) as caught:
        ensure_may_change_authority(S.WRONG_AUTHORITY, now=BEFORE, new_plan_online_start=start,
                                    new_plan_online_end=start + timedelta(days=10))
    assert "2026年5月10日 09:00" in caught.value.message_zh


def test_r_app_3_change_authority_after_the_new_plan_closed_is_refused() -> None:
    with pytest.raises(RuleViolation) as caught:
        ensure_may_change_authority(S.WRONG_AUTHORITY, now=AFTER,
                                    new_plan_online_start=BEFORE - timedelta(days=9),
                                    new_plan_online_end=BEFORE)
    assert "已经结束" in caught.value.message_zh


def test_r_app_3_change_authority_to_a_point_whose_window_ended_is_refused() -> None:
    with pytest.raises(RuleViolation):
        ensure_may_change_authority(S.WRONG_AUTHORITY, now=AFTER, new_plan_online_start=BEFORE,
                                    new_plan_online_end=AFTER + timedelta(days=1),
                                    new_point_confirm_end=CONFIRM_END)


@pytest.mark.parametrize("status", [s for s in S if s is not S.WRONG_AUTHORITY])
def test_r_app_3_authority_cannot_be_changed_in_other_statuses(status: S) -> None:
    with pytest.raises(RuleViolation) as caught:
        ensure_may_change_authority(status, now=BEFORE, new_plan_online_start=BEFORE,
                                    new_plan_online_end=AFTER)
    assert caught.value.code == "R-APP-3"


def test_r_app_3_self_filled_edit_without_registry_match_is_kept() -> None:
    proposed = replace(SELF_FILLED, subject_code="CHINESE")
    outcome = edit_certificate(S.SUBMITTED, SELF_FILLED, proposed, now=BEFORE, confirmation_end=CONFIRM_END,
                               lookup=registry_lookup)
    assert outcome.section == proposed and not outcome.replaced_from_registry
    assert not outcome.section.locked


def test_r_app_3_edit_that_matches_registry_is_replaced_and_locked() -> None:
    proposed = replace(SELF_FILLED, certificate_number=" 20101100122000099 ", holder_name="随便写")
    outcome = edit_certificate(S.SUBMITTED, SELF_FILLED, proposed, now=BEFORE, confirmation_end=CONFIRM_END,
                               lookup=registry_lookup)
    assert outcome.replaced_from_registry and outcome.section.locked
    assert outcome.section.holder_name == REGISTRY.holder_name
    assert outcome.section.certificate_type_code == REGISTRY.certificate_type_code
    assert outcome.section.issue_date == REGISTRY.issue_date


def test_r_app_3_locked_section_edit_is_refused_without_lookup() -> None:
    locked = CertificateSection.from_registry(REGISTRY)

    def must_not_be_called(cert: str, doc: str) -> RegistryCertificate | None:
        raise AssertionError("lookup after a refusal")

    with pytest.raises(RuleViolation) as caught:
        edit_certificate(S.SUBMITTED, locked, replace(locked, subject_code="MATH"), now=BEFORE,
                         confirmation_end=CONFIRM_END, lookup=must_not_be_called)
    assert "信息系统" in caught.value.message_zh


def test_r_app_3_certificate_edit_after_window_is_refused() -> None:
    with pytest.raises(RuleViolation):
        edit_certificate(S.SUBMITTED, SELF_FILLED, SELF_FILLED, now=AFTER, confirmation_end=CONFIRM_END,
                         lookup=registry_lookup)


def test_r_app_3_refusal_messages_never_carry_the_document_number() -> None:
    locked = CertificateSection.from_registry(REGISTRY)
    with pytest.raises(RuleViolation) as caught:
        edit_certificate(S.SUBMITTED, locked, locked, now=BEFORE, confirmation_end=CONFIRM_END,
                         lookup=registry_lookup)
    assert REGISTRY.document_number not in str(caught.value) + caught.value.message_zh


def test_r_app_3_authority_group_goes_through_its_own_check() -> None:
    with pytest.raises(ValueError):
        ensure_may_edit(S.WRONG_AUTHORITY, FieldGroup.AUTHORITY_AND_POINT, now=BEFORE,
                        confirmation_end=CONFIRM_END)


@pytest.mark.parametrize("status", list(S))
def test_r_app_6_the_edit_deadline_is_the_points_confirmation_end_while_edits_are_allowed(status) -> None:
    deadline = edit_deadline(status, confirmation_end=CONFIRM_END)
    may_edit = bool(editable_groups(status, now=BEFORE, confirmation_end=CONFIRM_END, certificate_locked=False)
                    - {FieldGroup.AUTHORITY_AND_POINT})
    assert deadline == (CONFIRM_END if may_edit else None)


def test_r_app_6_another_point_only_while_its_window_has_not_ended():
    from datetime import UTC, datetime, timedelta

    from servicekit.errors import RuleViolation
    from tqr_application.domain import edits
    from tqr_application.domain.status import ApplicationStatus

    now = datetime(2026, 3, 10, 2, tzinfo=UTC)
    later = now + timedelta(days=3)
    edits.ensure_may_change_point(ApplicationStatus.SUBMITTED, now=now, confirmation_end=later,
                                  new_point_confirm_end=later)
    for new_end in (None, now - timedelta(seconds=1)):
        with pytest.raises(RuleViolation) as caught:
            edits.ensure_may_change_point(ApplicationStatus.SUBMITTED, now=now, confirmation_end=later,
                                          new_point_confirm_end=new_end)
        assert caught.value.code == "R-APP-6"
    with pytest.raises(RuleViolation) as caught:  # the chosen point's own window has ended
        edits.ensure_may_change_point(ApplicationStatus.SUBMITTED, now=later + timedelta(seconds=1),
                                      confirmation_end=later, new_point_confirm_end=later + timedelta(days=9))
    assert caught.value.code == "R-APP-3"
    groups = edits.editable_groups(ApplicationStatus.SUBMITTED, now=now, confirmation_end=later,
                                   certificate_locked=True)
    assert {edits.FieldGroup.POINT, edits.FieldGroup.TEACHING} <= groups
