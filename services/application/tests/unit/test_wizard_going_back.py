"""Going back: later answers that are still valid are kept; only what a change invalidates is dropped."""

from __future__ import annotations

import pytest
from servicekit.clock import ManualClock
from servicekit.errors import RuleViolation
from tqr_application.domain.wizard import (
    STEP_ORDER_RULE,
    Draft,
    Step,
    WizardEnv,
    submit_step,
)

from services.application.tests.unit.wizard_builders import (
    ACCOUNT,
    AUTH_VALUES,
    CERT_VALUES,
    HAIDIAN,
    MATERIALS,
    REGISTRY,
    SELF_FILLED_NUMBER,
    complete,
    fresh,
)


def everything() -> tuple[Draft, WizardEnv, ManualClock]:
    draft, env, clock = fresh()
    return complete(draft, env, clock, Step.MATERIALS), env, clock


def test_r_wiz_go_back_to_a_reached_step_keeps_every_answer() -> None:
    from tqr_application.domain.wizard import go_to_step

    draft, _env, clock = everything()
    back = go_to_step(draft, Step.CERTIFICATE_DATA_AND_AUTHORITY, clock.now())
    assert back.current_step is Step.CERTIFICATE_DATA_AND_AUTHORITY
    assert (back.point_code, back.materials, back.notes_read_at) == (draft.point_code, draft.materials, draft.notes_read_at)


def test_r_wiz_go_to_an_unreached_step_is_refused() -> None:
    from tqr_application.domain.wizard import go_to_step

    draft, env, clock = fresh()
    draft = complete(draft, env, clock, Step.TERMS)
    with pytest.raises(RuleViolation) as caught:
        go_to_step(draft, Step.NOTES, clock.now())
    assert caught.value.code == STEP_ORDER_RULE and "第 3 步" in caught.value.message_zh


def test_r_wiz_changing_authority_clears_the_point_of_the_old_plan_only() -> None:
    draft, env, _clock = everything()
    outcome = submit_step(draft, Step.CERTIFICATE_DATA_AND_AUTHORITY,
                          CERT_VALUES | AUTH_VALUES | {"authority_code": HAIDIAN.code}, env)
    new = outcome.draft
    assert new.authority is not None and new.authority.plan_id == "plan-hd"
    assert new.point_code is None
    assert [c.step for c in outcome.cleared] == [Step.CONFIRMATION_POINT]
    assert new.materials == draft.materials and new.notes_read_at == draft.notes_read_at
    assert new.first_unfinished() is Step.CONFIRMATION_POINT


def test_r_wiz_changing_only_the_teaching_stage_keeps_the_point() -> None:
    draft, env, _clock = everything()
    outcome = submit_step(draft, Step.CERTIFICATE_DATA_AND_AUTHORITY,
                          CERT_VALUES | AUTH_VALUES | {"teaching_stage_code": "SENIOR_STAGE"}, env)
    assert outcome.draft.point_code == "CY-1" and outcome.cleared == ()
    assert outcome.draft.authority is not None and outcome.draft.authority.teaching_stage_code == "SENIOR_STAGE"
    assert outcome.draft.first_unfinished() is None


def test_r_wiz_changing_the_certificate_number_to_a_registry_one_replaces_and_locks() -> None:
    draft, env, _clock = everything()
    outcome = submit_step(draft, Step.CERTIFICATE_AND_ID, {"certificate_number": REGISTRY.certificate_number}, env)
    new = outcome.draft
    assert new.certificate is not None and new.certificate.locked
    assert new.certificate.certificate_type_code == REGISTRY.certificate_type_code
    assert [c.step for c in outcome.cleared] == [Step.CERTIFICATE_DATA_AND_AUTHORITY]
    assert (new.authority, new.point_code, new.materials) == (draft.authority, draft.point_code, draft.materials)


def test_r_wiz_changing_away_from_the_registry_number_clears_the_locked_data() -> None:
    draft, env, clock = fresh()
    draft = complete(draft, env, clock, Step.MATERIALS,
                     {Step.CERTIFICATE_AND_ID: {"certificate_number": REGISTRY.certificate_number}})
    outcome = submit_step(draft, Step.CERTIFICATE_AND_ID, {"certificate_number": SELF_FILLED_NUMBER}, env)
    new = outcome.draft
    assert new.certificate is None
    assert new.first_unfinished() is Step.CERTIFICATE_DATA_AND_AUTHORITY
    assert (new.authority, new.point_code, new.materials) == (draft.authority, draft.point_code, draft.materials)
    with pytest.raises(RuleViolation):
        submit_step(new, Step.MATERIALS, MATERIALS, env)


def test_r_wiz_correcting_a_typo_in_a_self_filled_number_keeps_the_typed_details() -> None:
    draft, env, _clock = everything()
    new = submit_step(draft, Step.CERTIFICATE_AND_ID, {"certificate_number": "20031100122000018"}, env).draft
    assert new.certificate == draft.certificate
    assert new.first_unfinished() is None


def test_r_wiz_certificate_warnings_overridden_earlier_are_asked_again_after_the_data_changes() -> None:
    draft, env, clock = fresh()
    values = {Step.CERTIFICATE_DATA_AND_AUTHORITY: CERT_VALUES | AUTH_VALUES | {"holder_name": "王晓明"}}
    draft = complete(draft, env, clock, Step.CERTIFICATE_AND_ID)
    draft = submit_step(draft, Step.CERTIFICATE_DATA_AND_AUTHORITY, values[Step.CERTIFICATE_DATA_AND_AUTHORITY],
                        env, override_warnings=["R-WIZ-4-HOLDER_NAME"]).draft
    assert draft.overridden_warnings == ("R-WIZ-4-HOLDER_NAME",)
    replaced = submit_step(draft, Step.CERTIFICATE_AND_ID, {"certificate_number": REGISTRY.certificate_number}, env)
    assert replaced.draft.overridden_warnings == ()


def test_r_wiz_unrelated_overrides_survive_a_later_step() -> None:
    draft, env, clock = fresh()
    draft = complete(draft, env, clock, Step.TERMS)
    draft = submit_step(draft, Step.CERTIFICATE_AND_ID, {"certificate_number": "A123"}, env,
                        override_warnings=["R-WIZ-3"]).draft
    draft = submit_step(draft, Step.CERTIFICATE_DATA_AND_AUTHORITY, CERT_VALUES | AUTH_VALUES, env).draft
    assert draft.overridden_warnings == ("R-WIZ-3",)


def test_r_wiz_draft_round_trips_through_json() -> None:
    import json

    draft, _env, _clock = everything()
    stored = json.loads(json.dumps(draft.to_dict()))
    assert Draft.from_dict(stored) == draft
    assert ACCOUNT.document_number not in json.dumps(stored)


def test_r_wiz_progress_shows_which_steps_can_be_opened() -> None:
    from tqr_application.domain.wizard import progress

    draft, env, clock = fresh()
    draft = complete(draft, env, clock, Step.TERMS)
    shown = {p.step: p for p in progress(draft)}
    assert [s for s, p in shown.items() if p.complete] == [Step.MUST_READ, Step.TERMS]
    assert [s for s, p in shown.items() if p.reachable] == [Step.MUST_READ, Step.TERMS, Step.CERTIFICATE_AND_ID]
    assert shown[Step.CERTIFICATE_AND_ID].current
