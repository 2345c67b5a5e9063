"""``servicekit.masking``: the one masking rule of every service and the gateway.

DOMAIN.md gives masking no rule id of its own; R-WIZ-8 (the done page shows the document number
masked) is the rule that names it, and every page, log line, event and export follows the same form.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from servicekit.masking import (
    MASK_CHAR,
    kept_ends,
    looks_masked,
    mask_contact,
    mask_document_number,
    mask_email,
    mask_mobile,
)


@pytest.mark.parametrize(("number", "masked"), [
    ("11010519491231002X", "1101**********002X"),  # mainland ID card (and the residence permits)
    ("11010519491231002x", "1101**********002X"),  # the check character typed in lower case
    ("１１０１０５１９４９１２３１００２Ｘ", "1101**********002X"),  # typed full width
    ("1101 0519 4912 3100 2X", "1101**********002X"),  # grouped as read aloud
    ("H1234567", "H*****67"),  # an 8-character permit keeps 3, never half of itself
    ("Ｈ１２３４５６７", "H*****67"),
    ("12345678", "1*****78"),  # Taiwan permit (台胞证), 8 digits
    ("H12345678", "H1*****78"),  # HK/Macao permit, H + 8 digits
    ("H1234567801", "H1*******01"),  # HK/Macao permit with the issue count
    ("E12345678", "E1*****78"),  # a passport
    ("EA1234567", "EA*****67"),
    ("1234567", "1*****7"),
    ("123456", "*****6"),
    ("12345", "*****"),  # very short: nothing kept
    ("1", "*"),
    ("", ""),
])
def test_r_wiz_8_r_priv_1_a_document_number_keeps_only_a_few_characters_at_each_end(number: str, masked: str) -> None:
    assert mask_document_number(number) == masked


@given(st.text(alphabet="0123456789ABCDEFGHX", max_size=40))
def test_r_wiz_8_r_priv_1_no_document_shows_more_of_itself_than_an_id_card(number: str) -> None:
    masked = mask_document_number(number)
    shown = len(number) - masked.count(MASK_CHAR)
    assert len(masked) == len(number)
    assert shown * 9 <= len(number) * 4  # 8 of 18 for the ID card, no larger share for anything shorter
    assert masked.count(MASK_CHAR) >= min(len(number), 5)
    front, back = kept_ends(len(number))
    assert front <= 4 and back <= 4
    assert masked == number[:front] + MASK_CHAR * (len(number) - front - back) + number[len(number) - back:]


@pytest.mark.parametrize(("mobile", "masked"), [
    ("13812345678", "138****5678"),
    ("138 1234 5678", "138****5678"),
    ("１３８１２３４５６７８", "138****5678"),
    ("+86 138-1234-5678", "+86*******5678"),
    ("1381234567", "13******67"),  # a digit short: masked as any number of that length
    ("12345", "*****"),
    ("", ""),
])
def test_r_priv_1_a_mobile_number_keeps_the_first_three_and_the_last_four_digits(mobile: str, masked: str) -> None:
    assert mask_mobile(mobile) == masked


@pytest.mark.parametrize(("address", "masked"), [
    ("zhangsan@example.com", "z***@example.com"),
    ("ab@example.cn", "a***@example.cn"),  # the stars do not tell the local part's length
    ("  Ne.address@example.cn ", "N***@example.cn"),
    ("@example.cn", "***@example.cn"),
    ("not-an-address", "***"),
    ("", "***"),
])
def test_r_priv_1_an_email_address_keeps_its_first_character_and_the_domain(address: str, masked: str) -> None:
    assert mask_email(address) == masked


def test_a_contact_is_masked_as_what_it_is() -> None:
    assert mask_contact("13812345678") == "138****5678"
    assert mask_contact("zhangsan@example.com") == "z***@example.com"


def test_looks_masked_tells_a_clear_number_from_a_masked_one() -> None:
    assert looks_masked(mask_document_number("11010519491231002X")) and looks_masked("")
    assert not looks_masked("13912340721")
