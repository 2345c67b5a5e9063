"""Texts shared by several layers: R-ID-2 (already registered) and R-ID-8 (login failure)."""

from __future__ import annotations

from servicekit.errors import RuleViolation, Unauthenticated
from tqr_identity.domain.errors import (
    LOGIN_FAILED_POSSIBLE_CAUSES,
    already_registered,
    login_failed,
)


def test_r_id_2_already_registered_points_to_password_reset() -> None:
    error = already_registered()
    assert isinstance(error, RuleViolation)
    assert error.code == "R-ID-2"
    assert "该用户已注册" in error.message_zh and "忘记密码" in error.message_zh
    assert "reset" in error.message_en


def test_r_id_8_login_failure_says_only_login_failed() -> None:
    error = login_failed()
    assert isinstance(error, Unauthenticated)
    assert (error.code, error.message_zh) == ("R-ID-8", "登录失败")


def test_r_id_8_possible_causes_are_bilingual() -> None:
    assert len(LOGIN_FAILED_POSSIBLE_CAUSES) >= 3
    assert all(cause.zh and cause.en for cause in LOGIN_FAILED_POSSIBLE_CAUSES)
    assert any("忘记密码" in cause.zh for cause in LOGIN_FAILED_POSSIBLE_CAUSES)
