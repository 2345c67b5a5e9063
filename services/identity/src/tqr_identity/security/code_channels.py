"""Where a verification code (R-ID-6) goes: SMS, or the alternative channel when SMS fails.

Both are ``CodeChannel``s, so the service layer picks one by the person's choice and calls the
same ``send``. The old system's alternative was a code sent by a WeChat service account; here it
is any provider behind ``AlternativeChannel`` (its adapter maps the destination, the registered
mobile number, to whatever the provider addresses, such as a bound WeChat account). The
recording implementations are for development and tests: they keep what would have been sent in
memory and never log it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from tqr_identity.security.verification_codes import CodePurpose

PURPOSE_TEXT_ZH = {
    CodePurpose.REGISTER: "注册账号",
    CodePurpose.LOGIN: "登录",
    CodePurpose.RESET_PASSWORD: "重置密码",
    CodePurpose.CHANGE_CONTACT: "更换联系方式",
}
PURPOSE_TEXT_EN = {
    CodePurpose.REGISTER: "registration",
    CodePurpose.LOGIN: "sign-in",
    CodePurpose.RESET_PASSWORD: "password reset",
    CodePurpose.CHANGE_CONTACT: "change of contact details",
}


class CodeChannel(Protocol):
    async def send(self, destination: str, code: str, purpose: CodePurpose) -> None:
        """Deliver ``code`` to ``destination``; raise ``DependencyUnavailable`` when it cannot."""
        ...


class AlternativeChannel(CodeChannel, Protocol):
    """The second route for a code when the SMS does not arrive (e.g. a WeChat service account)."""


class TextMessageSender(Protocol):
    """The SMS provider as the identity service sees it (e.g. a client of the notification service)."""

    async def send_text(self, phone: str, text: str) -> None: ...


def code_message(code: str, purpose: CodePurpose, validity_minutes: int = 5) -> str:
    """The text of the code message: Chinese first, then English; it names the purpose so a
    person who did not ask for it notices."""
    return (
        f"您正在{PURPOSE_TEXT_ZH[purpose]}，验证码为 {code}，{validity_minutes} 分钟内有效。"
        f"请勿告诉他人。 Your {PURPOSE_TEXT_EN[purpose]} code is {code}, valid for "
        f"{validity_minutes} minutes. Do not share it."
    )


class SmsCodeChannel:
    def __init__(self, sender: TextMessageSender, validity_minutes: int = 5) -> None:
        self._sender = sender
        self._validity_minutes = validity_minutes

    async def send(self, destination: str, code: str, purpose: CodePurpose) -> None:
        await self._sender.send_text(destination, code_message(code, purpose, self._validity_minutes))


@dataclass(frozen=True)
class SentCode:
    channel: str
    destination: str
    code: str
    purpose: CodePurpose

    def __repr__(self) -> str:  # keeps the number and the code out of test and debug output
        return f"SentCode(channel={self.channel!r}, purpose={self.purpose.value})"


@dataclass
class RecordingCodeChannel:
    """A development channel: records each send instead of delivering it."""

    name: str = "alternative"
    sent: list[SentCode] = field(default_factory=list, repr=False)

    async def send(self, destination: str, code: str, purpose: CodePurpose) -> None:
        self.sent.append(SentCode(self.name, destination, code, purpose))

    def last_code(self, destination: str, purpose: CodePurpose) -> str | None:
        for item in reversed(self.sent):
            if item.destination == destination and item.purpose == purpose:
                return item.code
        return None


def development_alternative_channel() -> RecordingCodeChannel:
    """The alternative channel for development: nothing leaves the process."""
    return RecordingCodeChannel(name="alternative")
