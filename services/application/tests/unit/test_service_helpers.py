"""Small pure helpers of the service layer and adapters."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from servicekit.errors import RuleViolation
from tqr_application.adapters.personal_data import DocumentNumberCipher
from tqr_application.adapters.search_repository import decode_token, encode_token
from tqr_application.config import DEV_FIELD_KEYS, ApplicationSettings
from tqr_application.domain import numbers
from tqr_application.domain.plans import RegistrationPlan
from tqr_application.service_layer.plan_windows import current_plan, ensure_online_open
from tqr_application.service_layer.staff import application_number_in

NOW = datetime(2026, 3, 10, 2, tzinfo=UTC)


def test_document_numbers_sealed_and_blind_indexed():
    cipher = DocumentNumberCipher(DEV_FIELD_KEYS, "dev-only-blind-index-key-change-me")
    sealed = cipher.seal("11010519491231002x")
    assert "11010519491231002" not in sealed and cipher.open(sealed) == "11010519491231002X"
    assert cipher.index("11010519491231002x") == cipher.index(" 11010519491231002X")
    other = DocumentNumberCipher(DEV_FIELD_KEYS, "another-key-of-sixteen-plus")
    assert other.index("11010519491231002X") != cipher.index("11010519491231002X")


def test_dev_secrets_refused_in_production(monkeypatch):
    monkeypatch.setenv("TQR_ENVIRONMENT", "production")
    with pytest.raises(ValueError, match="set APPLICATION_FIELD_KEYS \\(still the development key\\)"):
        ApplicationSettings()


def test_r_staff_2_application_number_read_from_typed_text_or_form_code():
    number = numbers.format(2026, "110108", 12)
    assert application_number_in(number) == number
    assert application_number_in(numbers.display(number)) == number
    assert application_number_in(f"tqr1.k1.{number}.0a1b2c3d.mac") == number
    assert application_number_in(f"TQR1.{number}.MAC") == number
    assert application_number_in("11010519491231002X") is None
    mistyped = number[:-1] + str((int(number[-1]) + 1) % 10)
    assert application_number_in(mistyped) is None


def _plan(pid: str, start_days: int, end_days: int) -> RegistrationPlan:
    return RegistrationPlan(pid, "110108", "p", NOW + timedelta(days=start_days), NOW + timedelta(days=end_days), ())


def test_r_plan_2_plan_in_force_open_then_upcoming_then_latest_closed():
    closed, upcoming, open_ = _plan("c", -30, -10), _plan("u", 5, 9), _plan("o", -1, 1)
    assert current_plan([closed, upcoming, open_], NOW).plan_id == "o"
    assert current_plan([closed, upcoming], NOW).plan_id == "u"
    assert current_plan([closed], NOW).plan_id == "c"
    assert current_plan([], NOW) is None
    with pytest.raises(RuleViolation) as caught:
        ensure_online_open(closed, NOW, "海淀区")
    assert caught.value.code == "R-PLAN-2" and "已经结束" in caught.value.message_zh


def test_page_tokens_round_trip():
    stamp = datetime(2026, 3, 1, 8, 30, tzinfo=UTC)
    assert decode_token(encode_token(stamp, "abc")) == (stamp, "abc")
    with pytest.raises(ValueError):
        decode_token("bm9waXBl")
