"""R-ID-4: a mainland mobile number and an email address are required."""

from __future__ import annotations

import pytest
from servicekit.errors import InvalidInput
from tqr_identity.domain.contact import (
    ContactDetails,
    validate_contact_details,
    validate_email,
    validate_mobile,
)


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [
        ("13812345678", "13812345678"),
        ("138 1234 5678", "13812345678"),
        ("138-1234-5678", "13812345678"),
        ("+86 13812345678", "13812345678"),
        ("008619912345678", "19912345678"),
        ("8615012345678", "15012345678"),
        ("１３８１２３４５６７８", "13812345678"),
    ],
)
def test_r_id_4_mobile_numbers_are_normalised(raw: str, normalised: str) -> None:
    assert validate_mobile(raw) == normalised


@pytest.mark.parametrize(
    "raw", ["", "1381234567", "138123456789", "12812345678", "23812345678", "1381234567a", "+85291234567"]
)
def test_r_id_4_mobile_must_be_11_digit_mainland_number(raw: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        validate_mobile(raw)
    [problem] = caught.value.problems
    assert (problem.field, problem.code) == ("mobile", "R-ID-4")
    assert "手机号码" in problem.message_zh and "mobile" in problem.message_en


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [
        ("teacher@example.com", "teacher@example.com"),
        (" Li.Ming+tqr@Mail.Example.CN ", "Li.Ming+tqr@mail.example.cn"),
        ("123456789@qq.com", "123456789@qq.com"),
        ("a_b-c@sub-domain.example.org", "a_b-c@sub-domain.example.org"),
    ],
)
def test_r_id_4_sane_emails_pass(raw: str, normalised: str) -> None:
    assert validate_email(raw) == normalised


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "plainaddress",
        "@example.com",
        "name@",
        "name@example",
        "name@@example.com",
        "name@exa mple.com",
        "name@-example.com",
        "name@example.c",
        "na..me@example.com",
        ".name@example.com",
        "name@example..com",
        "名字@example.com",
        "name@[127.0.0.1]",
        "name@example.com\nBcc: x@y.com",
        "a" * 65 + "@example.com",
    ],
)
def test_r_id_4_bad_emails_are_refused(raw: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        validate_email(raw)
    [problem] = caught.value.problems
    assert (problem.field, problem.code) == ("email", "R-ID-4")


def test_r_id_4_both_required_and_every_problem_reported_together() -> None:
    with pytest.raises(InvalidInput) as caught:
        validate_contact_details("", "not-an-email")
    assert caught.value.code == "R-ID-4"
    assert [p.field for p in caught.value.problems] == ["mobile", "email"]


def test_r_id_4_valid_contact_details() -> None:
    details = validate_contact_details("139 0000 1111", "Zhang@Example.com")
    assert details == ContactDetails(mobile="13900001111", email="Zhang@example.com")
