"""The wizard steps one by one (R-WIZ-1 .. R-WIZ-7) and the order between them."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import pytest
from servicekit.errors import InvalidInput, RuleViolation
from tqr_application.domain.reference import RegistryCertificate
from tqr_application.domain.wizard import (
    STEP_ORDER_RULE,
    Account,
    Draft,
    Step,
    WarningsNeedConfirmation,
    WizardEnv,
    submit_step,
)

from services.application.tests.unit.wizard_builders import (
    ACCOUNT,
    ANSWERS,
    AUTH_VALUES,
    AUTHORITIES,
    CERT_VALUES,
    CLOSE,
    CODES,
    FENGTAI,
    HUANGPU,
    MATERIALS,
    PLANS,
    REGISTRY,
    SELF_FILLED_NUMBER,
    SHIJINGSHAN,
    STARTED,
    complete,
    fields_of,
    fresh,
    make_env,
)

# --- R-WIZ-1 must-read -------------------------------------------------------------------------------


def test_r_wiz_1_next_refused_before_three_seconds_and_allowed_at_three() -> None:
    draft, env, clock = fresh()
    clock.advance(seconds=2.999)
    with pytest.raises(RuleViolation) as caught:
        submit_step(draft, Step.MUST_READ, {}, env)
    assert caught.value.code == "R-WIZ-1"
    clock.advance(seconds=0.001)
    outcome = submit_step(draft, Step.MUST_READ, {}, env)
    assert outcome.draft.must_read_done_at == clock.now()
    assert outcome.draft.current_step is Step.TERMS


def test_r_wiz_1_step_2_refused_while_must_read_unfinished() -> None:
    draft, env, _clock = fresh()
    with pytest.raises(RuleViolation) as caught:
        submit_step(draft, Step.TERMS, {"accept": True}, env)
    assert caught.value.code == STEP_ORDER_RULE
    assert "第 1 步" in caught.value.message_zh


def test_r_wiz_1_countdown_for_the_page() -> None:
    from tqr_application.domain.wizard import must_read_seconds_left

    draft, _env, clock = fresh()
    clock.advance(seconds=1)
    assert must_read_seconds_left(draft, clock.now()) == pytest.approx(2.0)
    clock.advance(seconds=5)
    assert must_read_seconds_left(draft, clock.now()) == 0.0


# --- R-WIZ-2 terms ------------------------------------------------------------------------------------


@pytest.mark.parametrize("values", [{}, {"accept": False}, {"accept": "true"}])
def test_r_wiz_2_must_accept_terms(values: dict[str, Any]) -> None:
    draft, env, clock = fresh()
    draft = complete(draft, env, clock, Step.MUST_READ)
    with pytest.raises(RuleViolation) as caught:
        submit_step(draft, Step.TERMS, values, env)
    assert caught.value.code == "R-WIZ-2"
    assert "接受" in caught.value.message_zh


def test_r_wiz_2_accepting_moves_to_step_3() -> None:
    draft, env, clock = fresh()
    draft = complete(draft, env, clock, Step.TERMS)
    assert draft.terms_accepted_at == clock.now()
    assert draft.current_step is Step.CERTIFICATE_AND_ID


# --- R-WIZ-3 certificate and ID -----------------------------------------------------------------------


def test_r_wiz_3_unusual_number_warns_and_override_continues() -> None:
    draft, env, clock = fresh()
    draft = complete(draft, env, clock, Step.TERMS)
    with pytest.raises(WarningsNeedConfirmation) as caught:
        submit_step(draft, Step.CERTIFICATE_AND_ID, {"certificate_number": "2003110012200001"}, env)
    assert caught.value.code == "R-WIZ-3"
    assert [w.field for w in caught.value.warnings] == ["certificate_number"]
    outcome = submit_step(draft, Step.CERTIFICATE_AND_ID, {"certificate_number": "2003110012200001"}, env,
                          override_warnings=["R-WIZ-3"])
    assert outcome.draft.certificate_number is not None
    assert outcome.draft.certificate_number.certificate_number == "2003110012200001"
    assert "R-WIZ-3" in outcome.draft.overridden_warnings
    assert outcome.draft.current_step is Step.CERTIFICATE_DATA_AND_AUTHORITY


@pytest.mark.parametrize("number", ["200311001220001", "20031100122000017", " 2003 1100 1220 00017 "])
def test_r_wiz_3_fifteen_or_seventeen_digits_raise_no_warning(number: str) -> None:
    draft, env, clock = fresh()
    draft = complete(draft, env, clock, Step.TERMS)
    outcome = submit_step(draft, Step.CERTIFICATE_AND_ID, {"certificate_number": number}, env)
    assert outcome.overridden == ()
    assert outcome.draft.overridden_warnings == ()


def test_r_wiz_3_registry_match_takes_and_locks_the_certificate() -> None:
    draft, env, clock = fresh()
    draft = complete(draft, env, clock, Step.TERMS)
    draft = submit_step(draft, Step.CERTIFICATE_AND_ID, {"certificate_number": REGISTRY.certificate_number}, env).draft
    assert draft.certificate_number is not None and draft.certificate_number.registry_matched
    assert draft.certificate is not None and draft.certificate.locked
    assert draft.certificate.issuing_body == REGISTRY.issuing_body
    assert draft.certificate.province_code == "110000"


def test_r_wiz_3_no_match_leaves_certificate_to_fill() -> None:
    draft, env, clock = fresh()
    draft = complete(draft, env, clock, Step.CERTIFICATE_AND_ID)
    assert draft.certificate is None
    assert draft.certificate_number is not None and not draft.certificate_number.registry_matched


def test_r_wiz_3_document_must_be_the_accounts_and_is_never_echoed() -> None:
    draft, env, clock = fresh()
    draft = complete(draft, env, clock, Step.TERMS)
    other = "310101199002023456"
    with pytest.raises(InvalidInput) as caught:
        submit_step(draft, Step.CERTIFICATE_AND_ID,
                    {"certificate_number": SELF_FILLED_NUMBER, "document_number": other}, env)
    assert fields_of(caught.value) == {"document_number"}
    assert all(other not in p.message_zh and other not in p.message_en for p in caught.value.problems)
    same = submit_step(draft, Step.CERTIFICATE_AND_ID,
                       {"certificate_number": SELF_FILLED_NUMBER, "document_number": "110108198001010011 "}, env)
    assert same.draft.certificate_number is not None
    assert same.draft.certificate_number.document_number_masked == "1101**********0011"


def test_r_wiz_3_empty_number_is_an_error_not_a_warning() -> None:
    draft, env, clock = fresh()
    draft = complete(draft, env, clock, Step.TERMS)
    with pytest.raises(InvalidInput) as caught:
        submit_step(draft, Step.CERTIFICATE_AND_ID, {"certificate_number": "  "}, env, override_warnings=["R-WIZ-3"])
    assert caught.value.code == "R-WIZ-3"


# --- R-WIZ-4 certificate data and authority -------------------------------------------------------------


def test_r_wiz_4_every_self_filled_field_is_required() -> None:
    draft, env, clock = fresh()
    draft = complete(draft, env, clock, Step.CERTIFICATE_AND_ID)
    with pytest.raises(InvalidInput) as caught:
        submit_step(draft, Step.CERTIFICATE_DATA_AND_AUTHORITY, {}, env)
    assert caught.value.code == "R-WIZ-4"
    assert fields_of(caught.value) == {
        "holder_name", "gender", "birth_date", "certificate_type_code", "subject_code", "issuing_body", "issue_date",
        "authority_code", "teaching_stage_code", "teaching_subject_code",
    }


def test_r_wiz_4_subject_none_is_allowed_and_saved() -> None:
    draft, env, clock = fresh()
    draft = complete(draft, env, clock, Step.CERTIFICATE_DATA_AND_AUTHORITY)
    assert draft.certificate is not None and draft.certificate.subject_code == "NONE"
    assert draft.authority is not None and draft.authority.plan_id == "plan-cy"
    assert draft.current_step is Step.CONFIRMATION_POINT


def test_r_wiz_4_unknown_subject_points_to_the_guiding_centre() -> None:
    draft, env, clock = fresh()
    draft = complete(draft, env, clock, Step.CERTIFICATE_AND_ID)
    with pytest.raises(InvalidInput) as caught:
        submit_step(draft, Step.CERTIFICATE_DATA_AND_AUTHORITY, CERT_VALUES | AUTH_VALUES | {"subject_code": "ART"}, env)
    [problem] = caught.value.problems
    assert (problem.field, problem.code) == ("subject_code", "R-REF-1")


def test_r_wiz_4_registry_data_is_read_only() -> None:
    draft, env, clock = fresh()
    draft = complete(draft, env, clock, Step.CERTIFICATE_AND_ID,
                     {Step.CERTIFICATE_AND_ID: {"certificate_number": REGISTRY.certificate_number}})
    tampered = AUTH_VALUES | {"holder_name": "李四", "issue_date": "2010-01-01", "certificate_type_code": "PRIMARY"}
    draft = submit_step(draft, Step.CERTIFICATE_DATA_AND_AUTHORITY, tampered, env).draft
    assert draft.certificate is not None
    assert (draft.certificate.holder_name, draft.certificate.issue_date) == (REGISTRY.holder_name, REGISTRY.issue_date)
    assert draft.certificate.certificate_type_code == "SENIOR"


def test_r_wiz_4_registry_record_without_birth_date_asks_only_for_it() -> None:
    draft, env, clock = fresh()
    sparse = RegistryCertificate(**{**REGISTRY.__dict__, "birth_date": None})
    env = WizardEnv(clock, ACCOUNT, CODES, registry_lookup=lambda n, d: sparse, authority_lookup=AUTHORITIES.get,
                    plans_lookup=lambda code: PLANS.get(code, ()))
    draft = complete(draft, env, clock, Step.CERTIFICATE_AND_ID,
                     {Step.CERTIFICATE_AND_ID: {"certificate_number": REGISTRY.certificate_number}})
    assert not draft.is_complete(Step.CERTIFICATE_DATA_AND_AUTHORITY)
    with pytest.raises(InvalidInput) as caught:
        submit_step(draft, Step.CERTIFICATE_DATA_AND_AUTHORITY, AUTH_VALUES, env)
    assert fields_of(caught.value) == {"birth_date"}
    draft = submit_step(draft, Step.CERTIFICATE_DATA_AND_AUTHORITY, AUTH_VALUES | {"birth_date": "1980-01-01"}, env).draft
    assert draft.certificate is not None and draft.certificate.locked
    assert draft.certificate.birth_date == date(1980, 1, 1)


def test_r_wiz_4_issue_date_in_the_future_is_an_error() -> None:
    draft, env, clock = fresh()
    draft = complete(draft, env, clock, Step.CERTIFICATE_AND_ID)
    tomorrow = (STARTED + timedelta(days=1)).date().isoformat()
    with pytest.raises(InvalidInput) as caught:
        submit_step(draft, Step.CERTIFICATE_DATA_AND_AUTHORITY, CERT_VALUES | AUTH_VALUES | {"issue_date": tomorrow}, env)
    assert fields_of(caught.value) == {"issue_date"}


def test_r_wiz_4_issue_date_before_holder_was_18_is_an_error_not_overridable() -> None:
    draft, env, clock = fresh()
    draft = complete(draft, env, clock, Step.CERTIFICATE_AND_ID)
    values = CERT_VALUES | AUTH_VALUES | {"issue_date": "1997-12-31"}  # born 1980-01-01: 18 on 1998-01-01
    with pytest.raises(InvalidInput) as caught:
        submit_step(draft, Step.CERTIFICATE_DATA_AND_AUTHORITY, values, env, override_warnings=["R-WIZ-4-BIRTH_DATE"])
    assert fields_of(caught.value) == {"issue_date"}
    ok = submit_step(draft, Step.CERTIFICATE_DATA_AND_AUTHORITY, values | {"issue_date": "1998-01-01"}, env)
    assert ok.draft.certificate is not None


def test_r_wiz_4_birth_date_differing_from_id_number_warns() -> None:
    draft, env, clock = fresh()
    draft = complete(draft, env, clock, Step.CERTIFICATE_AND_ID)
    values = CERT_VALUES | AUTH_VALUES | {"birth_date": "1980-10-01"}
    with pytest.raises(WarningsNeedConfirmation) as caught:
        submit_step(draft, Step.CERTIFICATE_DATA_AND_AUTHORITY, values, env)
    assert [w.warning_id for w in caught.value.warnings] == ["R-WIZ-4-BIRTH_DATE"]
    assert "110108198001010011" not in caught.value.message_zh
    outcome = submit_step(draft, Step.CERTIFICATE_DATA_AND_AUTHORITY, values, env,
                          override_warnings=["R-WIZ-4-BIRTH_DATE"])
    assert outcome.draft.overridden_warnings == ("R-WIZ-4-BIRTH_DATE",)


def test_r_wiz_4_holder_name_differing_from_account_warns_but_middle_dots_do_not() -> None:
    draft, env, clock = fresh()
    draft = complete(draft, env, clock, Step.CERTIFICATE_AND_ID)
    with pytest.raises(WarningsNeedConfirmation) as caught:
        submit_step(draft, Step.CERTIFICATE_DATA_AND_AUTHORITY, CERT_VALUES | AUTH_VALUES | {"holder_name": "王晓明"}, env)
    assert caught.value.code == "R-WIZ-4-HOLDER_NAME"
    dotted_account = Account("user-1", "阿依·买买提", "ID_CARD", ACCOUNT.document_number)
    env2 = WizardEnv(clock, dotted_account, CODES, authority_lookup=AUTHORITIES.get,
                     plans_lookup=lambda code: PLANS.get(code, ()))
    ok = submit_step(draft, Step.CERTIFICATE_DATA_AND_AUTHORITY,
                     CERT_VALUES | AUTH_VALUES | {"holder_name": "阿依•买买提"}, env2)
    assert ok.overridden == ()


def test_r_wiz_4_authority_in_another_province_than_the_certificate_warns() -> None:
    draft, env, clock = fresh()
    draft = complete(draft, env, clock, Step.CERTIFICATE_AND_ID,
                     {Step.CERTIFICATE_AND_ID: {"certificate_number": REGISTRY.certificate_number}})
    shanghai = AUTH_VALUES | {"authority_code": HUANGPU.code}
    with pytest.raises(WarningsNeedConfirmation) as caught:
        submit_step(draft, Step.CERTIFICATE_DATA_AND_AUTHORITY, shanghai, env)
    assert caught.value.code == "R-WIZ-4-PROVINCE"
    outcome = submit_step(draft, Step.CERTIFICATE_DATA_AND_AUTHORITY, shanghai, env, override_warnings=["R-WIZ-4-PROVINCE"])
    assert outcome.draft.authority is not None and outcome.draft.authority.plan_id == "plan-hp"


def test_r_wiz_4_r_plan_2_authority_without_plan_is_refused() -> None:
    draft, env, clock = fresh()
    draft = complete(draft, env, clock, Step.CERTIFICATE_AND_ID)
    with pytest.raises(RuleViolation) as caught:
        submit_step(draft, Step.CERTIFICATE_DATA_AND_AUTHORITY,
                    CERT_VALUES | AUTH_VALUES | {"authority_code": SHIJINGSHAN.code}, env)
    assert caught.value.code == "R-PLAN-2"
    assert SHIJINGSHAN.name in caught.value.message_zh and "尚未设置注册计划" in caught.value.message_zh


def test_r_wiz_4_r_plan_2_authority_after_its_window_is_refused_with_dates() -> None:
    draft, env, clock = fresh()
    draft = complete(draft, env, clock, Step.CERTIFICATE_AND_ID)
    clock.set(CLOSE + timedelta(seconds=1))
    with pytest.raises(RuleViolation) as caught:
        submit_step(draft, Step.CERTIFICATE_DATA_AND_AUTHORITY, CERT_VALUES | AUTH_VALUES, env)
    assert caught.value.code == "R-PLAN-2"
    assert "2026年3月1日 9:00 至 2026年3月31日 17:00" in caught.value.message_zh
    assert "已经结束" in caught.value.message_zh


def test_r_wiz_4_unknown_authority_is_a_field_problem() -> None:
    draft, env, clock = fresh()
    draft = complete(draft, env, clock, Step.CERTIFICATE_AND_ID)
    with pytest.raises(InvalidInput) as caught:
        submit_step(draft, Step.CERTIFICATE_DATA_AND_AUTHORITY, CERT_VALUES | AUTH_VALUES | {"authority_code": "999999"}, env)
    assert fields_of(caught.value) == {"authority_code"}


# --- R-WIZ-5 confirmation point ------------------------------------------------------------------------


def test_r_wiz_5_a_point_of_the_plan_must_be_chosen() -> None:
    draft, env, clock = fresh()
    draft = complete(draft, env, clock, Step.CERTIFICATE_DATA_AND_AUTHORITY)
    for values in ({}, {"point_code": "HD-1"}):
        with pytest.raises(InvalidInput) as caught:
            submit_step(draft, Step.CONFIRMATION_POINT, values, env)
        assert caught.value.code == "R-WIZ-5"
    draft = submit_step(draft, Step.CONFIRMATION_POINT, {"point_code": "CY-2"}, env).draft
    assert draft.point_code == "CY-2"


def test_r_wiz_5_r_plan_3_plan_without_points_is_refused_at_step_5() -> None:
    from tqr_application.domain.wizard import point_options

    draft, env, clock = fresh()
    draft = complete(draft, env, clock, Step.CERTIFICATE_DATA_AND_AUTHORITY,
                     {Step.CERTIFICATE_DATA_AND_AUTHORITY: CERT_VALUES | AUTH_VALUES | {"authority_code": FENGTAI.code}})
    with pytest.raises(RuleViolation) as caught:
        point_options(draft, env)
    assert caught.value.code == "R-PLAN-3"
    with pytest.raises(RuleViolation) as caught:
        submit_step(draft, Step.CONFIRMATION_POINT, {"point_code": "CY-1"}, env)
    assert caught.value.code == "R-PLAN-3"
    assert FENGTAI.name in caught.value.message_zh


def test_r_wiz_5_point_whose_confirmation_window_has_ended_is_refused_with_its_window() -> None:
    from tqr_application.domain.plans import PointWindow, RegistrationPlan

    draft, env, clock = fresh()
    early = PointWindow("CY-EARLY", STARTED - timedelta(days=1), STARTED + timedelta(hours=1))
    plan = PLANS["110105"][0]
    env = replace(env, plans_lookup=lambda code: [RegistrationPlan(
        plan.plan_id, plan.authority_code, plan.title, plan.online_start, plan.online_end,
        (*plan.point_windows, early))] if code == "110105" else PLANS.get(code, ()))
    draft = complete(draft, env, clock, Step.CERTIFICATE_DATA_AND_AUTHORITY)
    assert submit_step(draft, Step.CONFIRMATION_POINT, {"point_code": "CY-EARLY"}, env).draft.point_code == "CY-EARLY"
    clock.set(early.confirm_end + timedelta(seconds=1))
    with pytest.raises(InvalidInput) as caught:
        submit_step(draft, Step.CONFIRMATION_POINT, {"point_code": "CY-EARLY"}, env)
    assert caught.value.code == "R-WIZ-5" and fields_of(caught.value) == {"point_code"}
    problem = caught.value.problems[0]
    assert "2026年3月2日 9:00 至 2026年3月3日 10:00" in problem.message_zh and "已经结束" in problem.message_zh
    assert "closed" in problem.message_en
    assert submit_step(draft, Step.CONFIRMATION_POINT, {"point_code": "CY-1"}, env).draft.point_code == "CY-1"


# --- R-WIZ-6 notes ---------------------------------------------------------------------------------------


def test_r_wiz_6_notes_must_be_acknowledged() -> None:
    draft, env, clock = fresh()
    draft = complete(draft, env, clock, Step.CONFIRMATION_POINT)
    with pytest.raises(RuleViolation) as caught:
        submit_step(draft, Step.NOTES, {}, env)
    assert caught.value.code == "R-WIZ-6"
    draft = submit_step(draft, Step.NOTES, {"acknowledged": True}, env).draft
    assert draft.notes_read_at == clock.now() and draft.current_step is Step.MATERIALS


# --- step order --------------------------------------------------------------------------------------------


def test_r_wiz_step_order_names_the_first_unfinished_step() -> None:
    draft, env, clock = fresh()
    draft = complete(draft, env, clock, Step.CERTIFICATE_AND_ID)
    for later in (Step.CONFIRMATION_POINT, Step.NOTES, Step.MATERIALS):
        with pytest.raises(RuleViolation) as caught:
            submit_step(draft, later, ANSWERS[later], env)
        assert caught.value.code == STEP_ORDER_RULE
        assert "第 4 步“证书信息和注册机构”" in caught.value.message_zh


def test_r_wiz_step_order_the_server_checks_whatever_the_client_says() -> None:
    draft, env, clock = fresh()
    draft = complete(draft, env, clock, Step.TERMS)
    forged = Draft(**{**draft.__dict__, "current_step": Step.MATERIALS})
    with pytest.raises(RuleViolation) as caught:
        submit_step(forged, Step.MATERIALS, MATERIALS, env)
    assert caught.value.code == STEP_ORDER_RULE


def test_r_wiz_draft_belongs_to_its_owner() -> None:
    from servicekit.errors import PermissionDenied

    draft, _env, clock = fresh()
    stranger = make_env(clock, Account("user-2", "李四", "ID_CARD", "110101199001011234"))
    clock.advance(seconds=5)
    with pytest.raises(PermissionDenied):
        submit_step(draft, Step.MUST_READ, {}, stranger)
