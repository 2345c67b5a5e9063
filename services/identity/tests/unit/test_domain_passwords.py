"""R-ID-3: the password policy for new passwords."""

from __future__ import annotations

import string

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from servicekit.errors import FieldProblem, InvalidInput
from tqr_identity.domain.passwords import (
    SPECIAL_CHARACTERS,
    check_new_password,
    common_passwords,
    is_common_password,
    password_problems,
)

GOOD = "Lesson#Plan7"


def problems(password: str, confirm: str | None = None) -> list[FieldProblem]:
    return password_problems(password, password if confirm is None else confirm)


def test_r_id_3_a_good_password_passes() -> None:
    check_new_password(GOOD, GOOD)  # does not raise
    assert problems(GOOD) == []


def test_r_id_3_the_special_characters_are_exactly_the_listed_ones() -> None:
    assert sorted(SPECIAL_CHARACTERS) == sorted("#%*-_!@$&")


@pytest.mark.parametrize(
    ("password", "words"),
    [
        ("Ab#1234", "至少需要 8 位"),
        ("Lesson#Plan", "需要包含数字"),
        ("2026#1234", "需要包含英文字母"),
        ("LessonPlan7", "特殊字符"),
    ],
)
def test_r_id_3_each_missing_requirement_is_named(password: str, words: str) -> None:
    found = problems(password)
    assert len(found) == 1
    assert found[0].field == "password" and found[0].code == "R-ID-3"
    assert words in found[0].message_zh


@pytest.mark.parametrize(
    "password",
    [
        "Lesson Plan#7",
        "Lesson^Plan#7",
        "Lesson#Plan７",
        "Lesson#Plan7。",
        "老师Lesson#Plan7",
        "Lesson#Plan7+",
    ],
)
def test_r_id_3_only_the_listed_special_characters_are_allowed(password: str) -> None:
    found = problems(password)
    assert any("只能使用英文字母、数字和这些特殊字符" in p.message_zh for p in found)
    # The message lists the allowed specials and never echoes the password.
    assert all(password not in p.message_zh + p.message_en for p in found)


def test_r_id_3_entries_must_match() -> None:
    [problem] = problems(GOOD, GOOD + "x")
    assert problem.field == "password_confirm"
    assert "不一致" in problem.message_zh
    [problem] = problems(GOOD, "")
    assert problem.field == "password_confirm"


def test_r_id_3_every_problem_is_returned_together() -> None:
    with pytest.raises(InvalidInput) as caught:
        check_new_password("abc", "abd")
    assert caught.value.code == "R-ID-3"
    fields = [p.field for p in caught.value.problems]
    assert fields.count("password") == 3  # too short, no digit, no special character
    assert fields[-1] == "password_confirm"


def test_r_id_3_empty_password() -> None:
    [problem] = problems("", "")[:1]
    assert problem.message_zh == "请输入密码"


@pytest.mark.parametrize("password", ["Aa123456#", "password1!", "PASSWORD1!", "P@ssw0rd", "Qwer1234!"])
def test_r_id_3_common_passwords_are_refused(password: str) -> None:
    found = problems(password)
    assert [p.message_en for p in found] == ["This password is too common and easy to guess; choose another"]


def test_r_id_3_common_password_list_is_shipped_and_loaded_once() -> None:
    common_passwords.cache_clear()
    assert len(common_passwords()) >= 300
    assert common_passwords() is common_passwords()
    assert not any(entry.startswith("#") for entry in common_passwords())
    assert not is_common_password(GOOD)


allowed = string.ascii_letters + string.digits + SPECIAL_CHARACTERS


@given(
    st.text(alphabet=allowed, min_size=5, max_size=40),
    st.sampled_from(string.ascii_letters),
    st.sampled_from(string.digits),
    st.sampled_from(SPECIAL_CHARACTERS),
)
def test_r_id_3_any_password_meeting_the_rules_passes(
    core: str, letter: str, digit: str, special: str
) -> None:
    password = letter + core + digit + special
    assume(not is_common_password(password))
    assert problems(password) == []


@given(st.characters(exclude_characters=allowed, exclude_categories=("Cs",)))
def test_r_id_3_any_other_character_is_refused(intruder: str) -> None:
    assert problems(GOOD + intruder) != []
