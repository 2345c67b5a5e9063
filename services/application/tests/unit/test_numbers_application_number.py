"""Application numbers (报名号, R-WIZ-8): readable, checkable, round-trip."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from tqr_application.domain import numbers

authority_codes = st.integers(min_value=1, max_value=999_999).map(lambda n: f"{n:06d}")
sequences = st.integers(min_value=1, max_value=numbers.MAX_SEQUENCE)
years = st.integers(min_value=2000, max_value=2099)


def test_r_wiz_8_number_layout_is_year_authority_sequence_check() -> None:
    number = numbers.format(2026, "110108", 123)
    assert len(number) == 18
    assert number.startswith("2026110108000123")
    # ISO 7064 MOD 97-10: the whole number is 1 modulo 97.
    assert int(number) % 97 == 1


def test_r_wiz_8_known_check_digits() -> None:
    # Computed digit by digit (the ISO 7064 piecewise method), not with the code under test.
    assert numbers.format(2026, "110108", 123) == "202611010800012335"
    assert numbers.is_valid("202611010800012335")


@given(years, authority_codes, sequences)
def test_r_wiz_8_parse_inverts_format(year: int, authority: str, sequence: int) -> None:
    parsed = numbers.parse(numbers.format(year, authority, sequence))
    assert (parsed.year, parsed.authority_code, parsed.sequence) == (year, authority, sequence)
    assert str(parsed) == numbers.format(year, authority, sequence)


@given(years, authority_codes, sequences, st.integers(0, 17), st.integers(1, 9))
def test_r_wiz_8_any_single_digit_mistake_is_caught(
    year: int, authority: str, sequence: int, position: int, delta: int
) -> None:
    number = numbers.format(year, authority, sequence)
    wrong = number[:position] + str((int(number[position]) + delta) % 10) + number[position + 1:]
    assert not numbers.is_valid(wrong)


@given(years, authority_codes, sequences, st.integers(0, 16))
def test_r_wiz_8_swapping_neighbours_is_caught(year: int, authority: str, sequence: int, i: int) -> None:
    number = numbers.format(year, authority, sequence)
    swapped = number[:i] + number[i + 1] + number[i] + number[i + 2:]
    assert swapped == number or not numbers.is_valid(swapped)


def test_r_wiz_8_grouped_display_form_is_accepted() -> None:
    number = numbers.format(2026, "440106", 7)
    shown = numbers.display(number)
    assert shown.count(" ") == 3
    assert numbers.is_valid(shown) and numbers.is_valid(shown.replace(" ", "-"))
    assert numbers.parse(shown).sequence == 7


@pytest.mark.parametrize("text", ["", "abc", "20261101080001231", "2026110108000123456",
                                  "110108198001010011", "2026110108000123XX"])
def test_r_wiz_8_malformed_numbers_are_invalid(text: str) -> None:
    assert not numbers.is_valid(text)
    with pytest.raises(ValueError):
        numbers.parse(text)


def test_r_wiz_8_id_card_numbers_are_not_taken_for_application_numbers() -> None:
    assert not numbers.looks_like_application_number("110108198001010011")
    assert numbers.looks_like_application_number(numbers.format(2026, "110108", 1))


@pytest.mark.parametrize(("year", "authority", "sequence"), [
    (1999, "110108", 1), (2100, "110108", 1), (2026, "11010", 1), (2026, "000000", 1),
    (2026, "11010A", 1), (2026, "110108", 0), (2026, "110108", 1_000_000),
])
def test_r_wiz_8_format_refuses_out_of_range_parts(year: int, authority: str, sequence: int) -> None:
    with pytest.raises(ValueError):
        numbers.format(year, authority, sequence)
