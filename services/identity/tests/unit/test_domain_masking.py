"""Masks for personal numbers shown to people and written to logs."""

from __future__ import annotations

import pytest
from tqr_identity.domain.masking import mask_document_number, mask_phone


def test_mask_document_number_keeps_four_at_each_end() -> None:
    assert mask_document_number("11010519491231002X") == "1101**********002X"


@pytest.mark.parametrize(
    ("number", "masked"),
    [("01234567", "01****67"), ("H12345678", "H1*****78"), ("H1234567801", "H1*******01"), ("123", "***")],
)
def test_mask_short_numbers_hides_at_least_half(number: str, masked: str) -> None:
    assert mask_document_number(number) == masked
    assert masked.count("*") * 2 >= len(number)


def test_mask_phone() -> None:
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("138 1234 5678") == "138****5678"
