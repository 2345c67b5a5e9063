"""Texts and errors of the identity rules that more than one layer shows.

The web gateway, the gRPC servicer and the help pages show the same words for the same situation,
so they live here once, Chinese first with an English version.
"""

from __future__ import annotations

from dataclasses import dataclass

from servicekit.errors import RuleViolation, Unauthenticated


@dataclass(frozen=True)
class BilingualText:
    zh: str
    en: str


# R-ID-2: one account per (document type, number).
ALREADY_REGISTERED = BilingualText(
    zh="该用户已注册",
    en="An account already exists for this document",
)
ALREADY_REGISTERED_HINT = BilingualText(
    zh="如果这是您的账号，请使用“忘记密码”重置密码后登录。",
    en="If this is your account, reset the password with “Forgot password” and then sign in.",
)

# R-ID-8: a login failure never says which part was wrong.
LOGIN_FAILED = BilingualText(zh="登录失败", en="Sign-in failed")
LOGIN_FAILED_POSSIBLE_CAUSES: tuple[BilingualText, ...] = (
    BilingualText(
        zh="证件类型、证件号码或密码输入有误，请仔细核对后重试。",
        en="The document type, document number or password was entered incorrectly; check them and "
        "try again.",
    ),
    BilingualText(
        zh="您尚未在本系统注册账号，请先注册。",
        en="You have not registered an account in this system yet; please register first.",
    ),
    BilingualText(
        zh="您在旧系统中的报名记录不能直接用于登录，需要在本系统重新注册账号。",
        en="Records from the old system cannot be used to sign in; register a new account here.",
    ),
    BilingualText(
        zh="忘记了密码，请通过“忘记密码”重置。",
        en="If you have forgotten the password, reset it with “Forgot password”.",
    ),
    BilingualText(
        zh="注册时证件号码可能录入有误，请使用正确的证件信息重新注册。",
        en="The document number may have been mistyped at registration; register again with the "
        "correct details.",
    ),
)

# R-ID-9: the outcome texts of real-name verification (实名核验).
REAL_NAME_VERIFIED = BilingualText(
    zh="恭喜您，已通过实名核验",
    en="Congratulations, your real-name verification has succeeded",
)
REAL_NAME_FAILED = BilingualText(
    zh="实名核验未通过。您可以更新网证（CTID）后重新核验，或申请人工审核。",
    en="Real-name verification did not succeed. Update your network identity (CTID) and try again, "
    "or request a manual review.",
)


def already_registered() -> RuleViolation:
    """The R-ID-2 refusal; the message points to password reset."""
    return RuleViolation(
        "R-ID-2",
        f"{ALREADY_REGISTERED.zh}。{ALREADY_REGISTERED_HINT.zh}",
        f"{ALREADY_REGISTERED.en}. {ALREADY_REGISTERED_HINT.en}",
    )


def login_failed() -> Unauthenticated:
    """The R-ID-8 refusal: the same error whatever was wrong (unknown account or wrong password)."""
    return Unauthenticated("R-ID-8", LOGIN_FAILED.zh, LOGIN_FAILED.en)
