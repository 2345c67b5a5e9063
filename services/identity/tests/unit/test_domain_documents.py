"""R-ID-1: identity document types and their number checks."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st
from servicekit.errors import InvalidInput
from tqr_identity.domain.documents import (
    DocumentType,
    Gender,
    birth_date_of,
    compute_check_character,
    gender_of,
    make_valid_id_number,
    parse_document_type,
    validate_document_number,
)

TODAY = date(2026, 3, 1)
CHECK_TYPES = [DocumentType.ID_CARD, DocumentType.HKMO_RESIDENCE, DocumentType.TW_RESIDENCE]
# Example numbers published with GB 11643 and in its commentary, computed independently of our code.
PUBLISHED_EXAMPLES = ["11010519491231002X", "440524188001010014"]


def reference_check_character(first_17: str) -> str:
    """An independent MOD 11-2: weight 2**(17-i) mod 11, check value (12 - sum mod 11) mod 11."""
    total = sum(int(d) * pow(2, 17 - i, 11) for i, d in enumerate(first_17))
    value = (12 - total % 11) % 11
    return "X" if value == 10 else str(value)


def problem_of(doc_type: DocumentType, raw: str) -> tuple[str, str, str, str]:
    with pytest.raises(InvalidInput) as caught:
        validate_document_number(doc_type, raw, today=TODAY)
    assert caught.value.code == "R-ID-1"
    [problem] = caught.value.problems
    return problem.field, problem.code, problem.message_zh, problem.message_en


births = st.dates(min_value=date(1900, 1, 1), max_value=TODAY)
mainland_regions = st.builds(
    lambda province, rest: f"{province}{rest:04d}",
    st.sampled_from(["11", "31", "44", "51", "65"]),
    st.integers(0, 9999),
)
sequences = st.integers(0, 999)


@st.composite
def valid_numbers(draw: st.DrawFn) -> tuple[DocumentType, str]:
    doc_type = draw(st.sampled_from(CHECK_TYPES))
    region = {
        DocumentType.ID_CARD: draw(mainland_regions),
        DocumentType.HKMO_RESIDENCE: draw(st.sampled_from(["810000", "820000"])),
        DocumentType.TW_RESIDENCE: "830000",
    }[doc_type]
    return doc_type, make_valid_id_number(region, draw(births), draw(sequences))


# --- the check character ----------------------------------------------------------------------


@pytest.mark.parametrize("number", PUBLISHED_EXAMPLES)
def test_r_id_1_published_examples_have_the_right_check_character(number: str) -> None:
    assert compute_check_character(number[:17]) == number[17]


def test_r_id_1_published_example_passes() -> None:
    assert (
        validate_document_number(DocumentType.ID_CARD, PUBLISHED_EXAMPLES[0], today=TODAY)
        == "11010519491231002X"
    )


def test_r_id_1_published_example_born_1880_is_refused_as_before_1900() -> None:
    _, _, zh, _ = problem_of(DocumentType.ID_CARD, PUBLISHED_EXAMPLES[1])
    assert "早于 1900" in zh


@given(st.text(alphabet="0123456789", min_size=17, max_size=17))
def test_r_id_1_check_character_matches_an_independent_implementation(first_17: str) -> None:
    assert compute_check_character(first_17) == reference_check_character(first_17)


@given(valid_numbers())
def test_r_id_1_generated_valid_numbers_pass(case: tuple[DocumentType, str]) -> None:
    doc_type, number = case
    assert validate_document_number(doc_type, number, today=TODAY) == number


@given(valid_numbers(), st.integers(0, 17), st.sampled_from("0123456789X"))
def test_r_id_1_changing_one_character_invalidates(
    case: tuple[DocumentType, str], position: int, replacement: str
) -> None:
    doc_type, number = case
    if number[position] == replacement:
        return
    changed = number[:position] + replacement + number[position + 1 :]
    with pytest.raises(InvalidInput):
        validate_document_number(doc_type, changed, today=TODAY)


# --- normalisation and each problem -----------------------------------------------------------


def test_r_id_1_number_is_normalised() -> None:
    number = make_valid_id_number("110105", date(1980, 5, 17), 123)
    number_x = "11010519491231002X"
    assert (
        validate_document_number(DocumentType.ID_CARD, f" {number[:6]} {number[6:]} ", today=TODAY) == number
    )
    assert validate_document_number(DocumentType.ID_CARD, number_x.lower(), today=TODAY) == number_x
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in number_x)  # as typed with a Chinese IME
    assert validate_document_number(DocumentType.ID_CARD, full_width, today=TODAY) == number_x


def test_r_id_1_wrong_check_character_is_named() -> None:
    good = "11010519491231002X"
    field, code, zh, en = problem_of(DocumentType.ID_CARD, good[:17] + "1")
    assert (field, code) == ("document_number", "R-ID-1")
    assert "校验码" in zh and "check character" in en
    assert "18 位" in zh  # the expected format follows


@pytest.mark.parametrize(
    ("birth_part", "words"),
    [("19990230", "真实的日期"), ("20270101", "晚于今天"), ("18991231", "早于 1900")],
)
def test_r_id_1_embedded_birth_date_must_be_real_and_plausible(birth_part: str, words: str) -> None:
    body = "110105" + birth_part + "123"
    number = body + compute_check_character(body)  # the check character is right: only the date is wrong
    _, _, zh, _ = problem_of(DocumentType.ID_CARD, number)
    assert words in zh


def test_r_id_1_birth_date_today_is_accepted_but_tomorrow_is_not() -> None:
    today_number = make_valid_id_number("110105", TODAY, 1)
    assert validate_document_number(DocumentType.ID_CARD, today_number, today=TODAY)
    with pytest.raises(InvalidInput):
        validate_document_number(DocumentType.ID_CARD, today_number, today=date(2026, 2, 28))


@pytest.mark.parametrize("raw", ["", "1101051949123100", "11010519491231002X1", "1101051949123100A2"])
def test_r_id_1_id_card_shape_problems(raw: str) -> None:
    field, _, zh, en = problem_of(DocumentType.ID_CARD, raw)
    assert field == "document_number"
    assert zh and en


@pytest.mark.parametrize("region", ["810000", "820000", "830000"])
def test_r_id_1_id_card_refuses_residence_permit_prefixes(region: str) -> None:
    number = make_valid_id_number(region, date(1990, 1, 1), 11)
    _, _, zh, _ = problem_of(DocumentType.ID_CARD, number)
    assert "居住证" in zh


def test_r_id_1_id_card_needs_a_mainland_province_code() -> None:
    number = make_valid_id_number("990101", date(1990, 1, 1), 11)
    _, _, zh, _ = problem_of(DocumentType.ID_CARD, number)
    assert "地区代码" in zh


@pytest.mark.parametrize(
    ("doc_type", "region", "accepted"),
    [
        (DocumentType.HKMO_RESIDENCE, "810000", True),
        (DocumentType.HKMO_RESIDENCE, "820000", True),
        (DocumentType.HKMO_RESIDENCE, "830000", False),
        (DocumentType.HKMO_RESIDENCE, "110105", False),
        (DocumentType.TW_RESIDENCE, "830000", True),
        (DocumentType.TW_RESIDENCE, "810000", False),
        (DocumentType.TW_RESIDENCE, "110105", False),
    ],
)
def test_r_id_1_residence_permit_prefixes(doc_type: DocumentType, region: str, accepted: bool) -> None:
    number = make_valid_id_number(region, date(1985, 7, 1), 42)
    if accepted:
        assert validate_document_number(doc_type, number, today=TODAY) == number
    else:
        _, _, zh, _ = problem_of(doc_type, number)
        assert "开头" in zh


@pytest.mark.parametrize("raw", ["H12345678", "M87654321", "h1234567801", " M 1234 5678 "])
def test_r_id_1_hkmo_permit_accepts_h_or_m_and_8_or_10_digits(raw: str) -> None:
    assert (
        validate_document_number(DocumentType.HKMO_PERMIT, raw, today=TODAY) == "".join(raw.split()).upper()
    )


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        ("12345678", "H 或 M 开头"),
        ("A12345678", "H 或 M 开头"),
        ("H1234567", "8 位或 10 位"),
        ("H123456789", "8 位或 10 位"),
        ("H12345678X", "8 位或 10 位"),
        ("", "请输入"),
    ],
)
def test_r_id_1_hkmo_permit_problems(raw: str, words: str) -> None:
    _, _, zh, _ = problem_of(DocumentType.HKMO_PERMIT, raw)
    assert words in zh


def test_r_id_1_taiwan_permit_is_eight_digits() -> None:
    assert validate_document_number(DocumentType.TW_PERMIT, "0123 4567", today=TODAY) == "01234567"


@pytest.mark.parametrize(
    ("raw", "words"),
    [("0123456701", "签发次数"), ("1234567", "8 位数字"), ("T1234567", "8 位数字"), ("", "请输入")],
)
def test_r_id_1_taiwan_permit_problems(raw: str, words: str) -> None:
    _, _, zh, _ = problem_of(DocumentType.TW_PERMIT, raw)
    assert words in zh


def test_r_id_1_problem_messages_never_contain_the_number() -> None:
    number = make_valid_id_number("110105", date(1980, 5, 17), 123)
    broken = number[:17] + ("0" if number[17] != "0" else "1")
    _, _, zh, en = problem_of(DocumentType.ID_CARD, broken)
    assert broken not in zh and broken not in en
    assert number[6:14] not in zh + en  # not even the birth date


# --- labels, parsing, derived data ------------------------------------------------------------


def test_r_id_1_five_document_types_with_chinese_and_english_labels() -> None:
    assert [t.label_zh for t in DocumentType] == [
        "居民身份证",
        "港澳居民居住证",
        "台湾居民居住证",
        "港澳居民来往内地通行证",
        "台湾居民来往大陆通行证",
    ]
    assert all(t.label_en and t.format_hint_zh and t.format_hint_en for t in DocumentType)
    assert [t for t in DocumentType if not t.is_for_hkmo_or_taiwan_residents] == [DocumentType.ID_CARD]


def test_r_id_1_parse_document_type() -> None:
    assert parse_document_type(" tw_permit ") is DocumentType.TW_PERMIT
    with pytest.raises(InvalidInput) as caught:
        parse_document_type("PASSPORT")
    assert caught.value.problems[0].field == "document_type"


@given(valid_numbers())
def test_r_id_1_birth_date_and_gender_are_read_from_the_number(case: tuple[DocumentType, str]) -> None:
    doc_type, number = case
    born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    assert birth_date_of(doc_type, number) == born
    expected = Gender.MALE if int(number[16]) % 2 else Gender.FEMALE
    assert gender_of(doc_type, number) is expected


def test_gender_of_uses_the_seventeenth_digit() -> None:
    assert gender_of(DocumentType.ID_CARD, make_valid_id_number("110105", date(1980, 1, 1), 7)) is Gender.MALE
    assert (
        gender_of(DocumentType.ID_CARD, make_valid_id_number("110105", date(1980, 1, 1), 8)) is Gender.FEMALE
    )
    assert Gender.MALE.label_zh == "男" and Gender.FEMALE.label_zh == "女"


def test_permits_carry_no_birth_date_or_gender() -> None:
    assert birth_date_of(DocumentType.HKMO_PERMIT, "H12345678") is None
    assert gender_of(DocumentType.TW_PERMIT, "01234567") is None


def test_make_valid_id_number_refuses_bad_input() -> None:
    with pytest.raises(ValueError):
        make_valid_id_number("11010", date(1980, 1, 1), 1)
    with pytest.raises(ValueError):
        make_valid_id_number("110105", date(1980, 1, 1), 1000)
