"""The password policy for new passwords (R-ID-3).

At least 8 characters, with digits, letters and at least one of the special characters
``# % * - _ ! @ $ &``. Only ASCII letters, digits and those specials are allowed: the national
system accepted no others, and a password typed with a Chinese input method (full-width letters,
Chinese punctuation) is the commonest reason a person cannot sign in again later. The password is
entered twice and must not be one of the common passwords attackers try first.

The password is never normalised or trimmed: what is checked is exactly what will be hashed.
"""

from __future__ import annotations

import string
from functools import cache
from importlib import resources

from servicekit.errors import FieldProblem, InvalidInput

RULE = "R-ID-3"
PASSWORD_FIELD = "password"  # noqa: S105 - a form field name, not a secret
CONFIRM_FIELD = "password_confirm"
MIN_LENGTH = 8
# An upper bound keeps the cost of hashing attacker-chosen input predictable.
MAX_LENGTH = 64
SPECIAL_CHARACTERS = "#%*-_!@$&"
ALLOWED_CHARACTERS = frozenset(string.ascii_letters + string.digits + SPECIAL_CHARACTERS)
COMMON_PASSWORDS_RESOURCE = "common-passwords.txt"

_SPECIALS_SHOWN = " ".join(SPECIAL_CHARACTERS)


@cache
def common_passwords() -> frozenset[str]:
    """The packaged list, lower-cased; read once, on first use."""
    text = resources.files(__package__).joinpath(COMMON_PASSWORDS_RESOURCE).read_text(encoding="utf-8")
    return frozenset(
        line.strip().lower() for line in text.splitlines() if line.strip() and not line.startswith("#")
    )


def is_common_password(password: str) -> bool:
    return password.lower() in common_passwords()


def password_problems(password: str, confirm: str) -> list[FieldProblem]:
    """Every problem with a new password and its confirmation, in the order a person fixes them."""
    problems = _policy_problems(password)
    if not confirm:
        problems.append(_problem(CONFIRM_FIELD, "请再次输入密码", "Enter the password again"))
    elif password != confirm:
        problems.append(
            _problem(
                CONFIRM_FIELD,
                "两次输入的密码不一致，请重新输入",
                "The two passwords do not match; enter them again",
            )
        )
    return problems


def check_new_password(password: str, confirm: str) -> None:
    """Raise InvalidInput (code R-ID-3) listing every problem on "password" and "password_confirm"."""
    problems = password_problems(password, confirm)
    if problems:
        raise InvalidInput(problems, code=RULE)


def _policy_problems(password: str) -> list[FieldProblem]:
    if not password:
        return [_problem(PASSWORD_FIELD, "请输入密码", "Enter a password")]
    problems: list[FieldProblem] = []
    if len(password) < MIN_LENGTH:
        problems.append(
            _problem(
                PASSWORD_FIELD,
                f"密码至少需要 {MIN_LENGTH} 位，您输入了 {len(password)} 位",
                f"The password needs at least {MIN_LENGTH} characters; it has {len(password)}",
            )
        )
    if len(password) > MAX_LENGTH:
        problems.append(
            _problem(
                PASSWORD_FIELD,
                f"密码不能超过 {MAX_LENGTH} 位",
                f"The password can have at most {MAX_LENGTH} characters",
            )
        )
    if any(ch not in ALLOWED_CHARACTERS for ch in password):
        # The offending characters are not echoed: they are part of a secret.
        problems.append(
            _problem(
                PASSWORD_FIELD,
                f"密码只能使用英文字母、数字和这些特殊字符：{_SPECIALS_SHOWN}"
                "（不能使用空格、中文、全角字符或其他符号）",
                f"The password may only use English letters, digits and these special characters: "
                f"{_SPECIALS_SHOWN} (no spaces, Chinese or full-width characters, or other symbols)",
            )
        )
    if not any(ch in string.digits for ch in password):
        problems.append(_problem(PASSWORD_FIELD, "密码需要包含数字", "The password needs a digit"))
    if not any(ch in string.ascii_letters for ch in password):
        problems.append(
            _problem(PASSWORD_FIELD, "密码需要包含英文字母", "The password needs an English letter")
        )
    if not any(ch in SPECIAL_CHARACTERS for ch in password):
        problems.append(
            _problem(
                PASSWORD_FIELD,
                f"密码需要包含至少一个特殊字符：{_SPECIALS_SHOWN}",
                f"The password needs at least one of these special characters: {_SPECIALS_SHOWN}",
            )
        )
    if not problems and is_common_password(password):
        problems.append(
            _problem(
                PASSWORD_FIELD,
                "这个密码过于常见，很容易被猜中，请换一个",
                "This password is too common and easy to guess; choose another",
            )
        )
    return problems


def _problem(field: str, zh: str, en: str) -> FieldProblem:
    return FieldProblem(field=field, code=RULE, message_zh=zh, message_en=en)
