"""servicekit.audit_log (R-STAFF-9): what every audit viewer shares — free text masked the one way
(R-PRIV-1) and keyset cursors that refuse anything they never produced."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from servicekit import audit_log
from servicekit.errors import InvalidInput


def test_r_staff_9_free_text_in_details_is_masked_and_own_codes_are_kept() -> None:
    typed = "来电 13812345678，证件 11010519491231002X、港澳 H1234567，邮箱 zhang.san@example.cn，报名 3 份"
    masked = audit_log.mask_free_text(typed)
    assert masked == "来电 138****5678，证件 1101**********002X、港澳 H*****67，邮箱 z***@example.cn，报名 3 份"
    detail = audit_log.detail_text({"reason": typed, "from": "SUBMITTED", "to": "CONFIRMED",
                                    "found": ["3f1c2b7e-0d9a-4c6e-9b1a-1234567890ab"], "empty": ""},
                                   kept_keys=frozenset({"from", "to", "found"}))
    assert detail == ("found: 3f1c2b7e-0d9a-4c6e-9b1a-1234567890ab; from: SUBMITTED; reason: " + masked
                      + "; to: CONFIRMED")
    assert audit_log.mask_free_text("1101**********002X") == "1101**********002X"  # already masked


def test_r_staff_9_cursors_round_trip_and_foreign_ones_are_refused() -> None:
    at = datetime(2026, 3, 10, 2, 0, 0, 123456, tzinfo=UTC)
    assert audit_log.decode_cursor(audit_log.encode_cursor(at, 42)) == (at, "42")
    for bad in ("", "x", "%%%", "bm8tc2VwYXJhdG9y", audit_log.encode_cursor(at, 1)[:-3]):
        with pytest.raises(InvalidInput):
            audit_log.decode_cursor(bad)
    assert (audit_log.page_size(0), audit_log.page_size(7), audit_log.page_size(10_000)) == (50, 7, 200)
