"""The form code printed as QR: staff scan it to find the application (R-STAFF-2)."""

from __future__ import annotations

import dataclasses

import pytest
from tqr_documents.domain.form_code import FormCodeRejected, FormCodeSigner, form_version_of

ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-"


def test_r_staff_2_genuine_code_verifies_to_its_application(form, signer) -> None:
    code = signer.sign_form(form)

    verified = signer.verify(code)

    assert verified.application_number == form.application_number
    assert verified.form_version == form_version_of(form)
    assert verified.key_id == "K3"


def test_r_staff_2_any_altered_character_fails(form, signer) -> None:
    code = signer.sign_form(form)
    for position, original in enumerate(code):
        for replacement in ALPHABET:
            if replacement == original:
                continue
            altered = code[:position] + replacement + code[position + 1 :]
            with pytest.raises(FormCodeRejected):
                signer.verify(altered)


def test_r_staff_2_truncated_or_extended_code_fails(form, signer) -> None:
    code = signer.sign_form(form)
    for bad in (code[:-1], code + "A", code.lower(), "", "TQR1"):
        with pytest.raises(FormCodeRejected) as caught:
            signer.verify(bad)
        assert caught.value.code == "R-STAFF-2"


def test_r_staff_2_code_made_with_another_key_fails(form) -> None:
    ours = FormCodeSigner({"K3": b"b" * 32}, "K3")
    forger = FormCodeSigner({"K3": b"c" * 32}, "K3")  # same key id, different secret

    with pytest.raises(FormCodeRejected):
        ours.verify(forger.sign_form(form))


def test_r_staff_2_code_with_an_unknown_key_id_fails(form) -> None:
    retired = FormCodeSigner({"K1": b"z" * 32}, "K1")
    current = FormCodeSigner({"K2": b"a" * 32}, "K2")

    with pytest.raises(FormCodeRejected):
        current.verify(retired.sign_form(form))


def test_r_staff_2_rotation_keeps_forms_printed_with_the_previous_key_valid(form) -> None:
    before = FormCodeSigner({"K2": b"a" * 32}, "K2")
    after = FormCodeSigner({"K2": b"a" * 32, "K3": b"b" * 32}, "K3")
    printed_earlier = before.sign_form(form)

    assert after.verify(printed_earlier).key_id == "K2"
    assert after.sign_form(form).split(".")[1] == "K3"


def test_r_staff_2_trailing_newline_from_a_hand_scanner_is_accepted(form, signer) -> None:
    assert signer.verify(signer.sign_form(form) + "\r\n").application_number == form.application_number


def test_r_staff_2_form_version_tells_an_outdated_printout(form, signer) -> None:
    edited = dataclasses.replace(form, email="new.address@example.cn")

    old = signer.verify(signer.sign_form(form))

    assert old.form_version != form_version_of(edited)


def test_signer_refuses_short_keys_and_unknown_current_key() -> None:
    with pytest.raises(ValueError):
        FormCodeSigner({"K1": b"short"}, "K1")
    with pytest.raises(ValueError):
        FormCodeSigner({"K1": b"x" * 32}, "K9")
