"""GB 11643 numbers used by the registry importer and the demo generator."""

from __future__ import annotations

from datetime import date

import pytest
from tqr_application.reference_data.id_numbers import (
    check_character,
    embedded_gender,
    is_valid_gb11643,
    make_id_number,
)


@pytest.mark.parametrize("number", ["11010519491231002X", "440524188001010014"])
def test_the_standards_worked_examples_are_valid(number: str) -> None:
    assert is_valid_gb11643(number)


@pytest.mark.parametrize("number", [
    "110105194912310021",  # wrong check character
    "11010519491331002X",  # month 13
    "11010519490230002X",  # 30 February
    "11010519491231002",  # too short
    "11010519491231002x",  # lower-case x: callers normalise first
])
def test_bad_numbers_are_invalid(number: str) -> None:
    assert not is_valid_gb11643(number)


def test_made_numbers_are_valid_and_carry_birth_and_gender() -> None:
    number = make_id_number("810000", date(1990, 5, 17), 123)
    assert is_valid_gb11643(number) and number.startswith("81000019900517123")
    assert embedded_gender(number) == "M"
    assert embedded_gender(make_id_number("110108", date(1990, 5, 17), 12)) == "F"


def test_check_character_refuses_wrong_input() -> None:
    with pytest.raises(ValueError):
        check_character("1234")
