"""``servicekit.text``: the one normalisation of typed numbers (R-WIZ-11) and the free-text rule,
and ``servicekit.rpc.text_guard``, which applies the rule to every string of a request."""

from __future__ import annotations

import pytest
from google.protobuf.struct_pb2 import Struct
from servicekit import text
from servicekit.errors import InvalidInput
from servicekit.rpc.text_guard import refuse_unsafe_text, unsafe_text_in
from tqr.application.v1 import applications_pb2, views_pb2, wizard_pb2


@pytest.mark.parametrize(("typed", "canonical"), [
    ("１１０１０５１９４９１２３１００２ｘ", "11010519491231002X"),  # full-width digits and letter
    ("110105 19491231 002x", "11010519491231002X"),  # spaces and case
    ("２０２６\u3000１１０１０８\u3000０００１２３-４５", "202611010800012345"),  # ideographic space, hyphen
    ("h１２３４５６７８", "H12345678"),  # a Hong Kong permit
    ("+86 138-1234－5678", "+8613812345678"),  # a mobile; the country code is the caller's business
    ("\t2010 1100 1220 00017\n", "20101100122000017"),
])
def test_r_wiz_11_every_typed_number_has_one_canonical_form(typed: str, canonical: str) -> None:
    assert text.normalise_number(typed) == canonical


def test_r_wiz_11_what_is_not_a_digit_or_letter_is_left_for_the_checker_to_refuse() -> None:
    assert text.normalise_number("2015证书") == "2015证书"
    assert text.normalise_number("٢٠١٥") == "٢٠١٥"  # Arabic-Indic digits are not folded into ASCII


@pytest.mark.parametrize("unsafe", ["\x00", "\x07", "\x1b", "\x7f", "\x85", "\u202a", "\u202b", "\u202c", "\u202d",
                                    "\u202e", "\u2066", "\u2067", "\u2068", "\u2069", "\ud800"])
def test_free_text_refuses_control_bidi_and_surrogate_characters_even_on_several_lines(unsafe: str) -> None:
    problem = text.text_problem("school", f"海淀{unsafe}实验小学", multiline=True)
    assert problem is not None and problem.field == "school" and problem.code == text.UNSAFE_TEXT
    shown = f"U+{ord(unsafe):04X}"
    assert shown in problem.message_zh and shown in problem.message_en
    assert "海淀" not in problem.message_zh  # the text itself is never echoed


def test_free_text_line_breaks_and_tabs_only_where_the_field_has_several_lines() -> None:
    for typed in ("第一行\n第二行", "第一行\r\n第二行", "甲\t乙"):
        assert text.text_problem("body", typed, multiline=True) is None
        problem = text.text_problem("school", typed)
        assert problem is not None and "一行" in problem.message_zh and "single line" in problem.message_en
    assert text.text_problem("school", "Ünïcödé 名字 · ok", multiline=False) is None


def test_require_safe_text_names_every_bad_field() -> None:
    with pytest.raises(InvalidInput) as caught:
        text.require_safe_text({"reason": "a\nb", "title": "a\nb", "body": "ok\x00"}, multiline=["reason"])
    assert {p.field for p in caught.value.problems} == {"title", "body"}
    text.require_safe_text({"reason": "a\nb"}, multiline=["reason"])


def test_text_guard_names_fields_as_the_services_do() -> None:
    request = wizard_pb2.SaveWizardStepRequest(
        materials=wizard_pb2.MaterialsStep(materials=views_pb2.Materials(
            school="x\x00", work_history=[views_pb2.WorkHistoryEntry(post="ok"), views_pb2.WorkHistoryEntry(
                school="\u202eab")])),
        override_warnings=["R-WIZ-3", "\x01"])
    assert [p.field for p in unsafe_text_in(request)] == [
        "materials.school", "materials.work_history[1].school", "override_warnings[1]"]
    # A message chosen in a oneof is named from inside: the wizard step, the edited section.
    step = wizard_pb2.SaveWizardStepRequest(certificate_details=wizard_pb2.CertificateDetailsStep(holder_name="\x00"))
    assert [p.field for p in unsafe_text_in(step)] == ["holder_name"]
    edit = applications_pb2.EditApplicationRequest(materials=views_pb2.Materials(post="\u2066"))
    assert [p.field for p in unsafe_text_in(edit)] == ["post"]
    # Maps too, keys and values.
    struct = Struct()
    struct.update({"note": "a\x00", "k\x00": "fine"})
    assert sorted(p.field for p in unsafe_text_in(struct)) == ["fields['k\\x00']", "fields['note'].string_value"]
    # Line breaks pass the guard (it cannot know single-line fields; their readers refuse them).
    assert unsafe_text_in(applications_pb2.WithdrawApplicationRequest(reason="第一行\r\n第二行\t")) == []


def test_text_guard_raises_invalid_input() -> None:
    with pytest.raises(InvalidInput) as caught:
        refuse_unsafe_text(applications_pb2.WithdrawApplicationRequest(reason="\x00"))
    assert caught.value.problems[0].field == "reason"
    refuse_unsafe_text(object())  # an undecodable request is answered elsewhere
