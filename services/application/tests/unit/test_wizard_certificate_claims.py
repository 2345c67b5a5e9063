"""Step 3 and free text in the wizard's domain: a registry number only for its holder (R-WIZ-10),
numbers in their canonical form (R-WIZ-11), free text without control or bidi characters."""

from __future__ import annotations

from dataclasses import replace

import pytest
from servicekit.errors import InvalidInput, RuleViolation
from tqr_application.domain.wizard import Account, Step, submit_step

from services.application.tests.unit.wizard_builders import (
    ACCOUNT,
    ANSWERS,
    MATERIALS,
    REGISTRY,
    SELF_FILLED_NUMBER,
    complete,
    fields_of,
    fresh,
    make_env,
)

OTHER = Account("user-2", "李四", "ID_CARD", "110105199001050027")


def full_width(typed: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in typed)


def test_r_wiz_10_registry_number_refused_to_another_applicant_even_past_warnings() -> None:
    draft, _env, clock = fresh()
    env = make_env(clock, OTHER)
    draft = complete(replace(draft, owner_subject_id=OTHER.subject_id), env, clock, Step.TERMS)
    for typed in (REGISTRY.certificate_number, full_width(REGISTRY.certificate_number)):
        with pytest.raises(RuleViolation) as caught:
            submit_step(draft, Step.CERTIFICATE_AND_ID, {"certificate_number": typed}, env,
                        override_warnings=["R-WIZ-3", "R-WIZ-10"])
        assert caught.value.code == "R-WIZ-10"
        assert "注册机构" in caught.value.message_zh and "registration authority" in caught.value.message_en


def test_r_wiz_11_the_holder_typing_full_width_matches_the_registry() -> None:
    draft, env, clock = fresh()
    draft = complete(draft, env, clock, Step.TERMS)
    typed = full_width(REGISTRY.certificate_number[:5]) + " " + REGISTRY.certificate_number[5:]
    outcome = submit_step(draft, Step.CERTIFICATE_AND_ID, {"certificate_number": typed}, env)
    assert outcome.draft.certificate_number is not None
    assert outcome.draft.certificate_number.certificate_number == REGISTRY.certificate_number
    assert outcome.draft.certificate is not None and outcome.draft.certificate.locked
    assert not outcome.overridden  # 17 digits once folded: no R-WIZ-3 warning


def test_r_wiz_11_full_width_self_filled_number_is_stored_ascii_and_own_document_accepted() -> None:
    draft, env, clock = fresh()
    draft = complete(draft, env, clock, Step.TERMS)
    outcome = submit_step(draft, Step.CERTIFICATE_AND_ID, {
        "certificate_number": full_width(SELF_FILLED_NUMBER),
        "document_number": full_width(ACCOUNT.document_number)}, env)
    assert outcome.draft.certificate_number is not None
    assert outcome.draft.certificate_number.certificate_number == SELF_FILLED_NUMBER
    assert not outcome.draft.certificate_number.registry_matched


def test_free_text_with_nul_or_bidi_override_is_refused_naming_the_fields() -> None:
    draft, env, clock = fresh()
    draft = complete(draft, env, clock, Step.CERTIFICATE_AND_ID)
    values = ANSWERS[Step.CERTIFICATE_DATA_AND_AUTHORITY] | {"holder_name": "王\x00小明",
                                                              "issuing_body": "北京市\u202e会员委育教"}
    with pytest.raises(InvalidInput) as caught:
        submit_step(draft, Step.CERTIFICATE_DATA_AND_AUTHORITY, values, env)
    assert fields_of(caught.value) == {"holder_name", "issuing_body"}
    assert {p.code for p in caught.value.problems} == {"UNSAFE_TEXT"}


def test_free_text_single_line_fields_refuse_line_breaks_and_tabs() -> None:
    draft, env, clock = fresh()
    draft = complete(draft, env, clock, Step.NOTES)
    history = [{**MATERIALS["work_history"][0], "post": "数学\t教师"}]
    with pytest.raises(InvalidInput) as caught:
        submit_step(draft, Step.MATERIALS, MATERIALS | {"school": "朝阳\n实验中学", "work_history": history}, env)
    assert fields_of(caught.value) == {"school", "work_history[0].post"}
    # Spaces around the text are trimmed as before, not refused.
    outcome = submit_step(draft, Step.MATERIALS, MATERIALS | {"school": "  朝阳实验中学\n"}, env)
    assert outcome.draft.materials is not None and outcome.draft.materials.school == "朝阳实验中学"
