"""Code channels (R-ID-6): SMS text and the pluggable alternative channel."""

from __future__ import annotations

from tqr_identity.security.code_channels import (
    AlternativeChannel,
    CodeChannel,
    SmsCodeChannel,
    code_message,
    development_alternative_channel,
)
from tqr_identity.security.verification_codes import CodePurpose

PHONE = "13812345678"


class CapturingSender:
    def __init__(self) -> None:
        self.texts: list[tuple[str, str]] = []

    async def send_text(self, phone: str, text: str) -> None:
        self.texts.append((phone, text))


async def test_r_id_6_sms_channel_sends_the_code_with_its_purpose() -> None:
    sender = CapturingSender()
    channel: CodeChannel = SmsCodeChannel(sender)
    await channel.send(PHONE, "482913", CodePurpose.RESET_PASSWORD)
    [(phone, text)] = sender.texts
    assert phone == PHONE
    assert "482913" in text and "重置密码" in text and "password reset" in text
    assert text.index("验证码") < text.index("Your")  # Chinese first


async def test_r_id_6_alternative_channel_is_a_provider_behind_the_same_interface() -> None:
    channel = development_alternative_channel()
    as_alternative: AlternativeChannel = channel
    await as_alternative.send(PHONE, "111111", CodePurpose.REGISTER)
    await as_alternative.send(PHONE, "222222", CodePurpose.REGISTER)
    await as_alternative.send(PHONE, "333333", CodePurpose.LOGIN)
    assert channel.last_code(PHONE, CodePurpose.REGISTER) == "222222"
    assert channel.last_code(PHONE, CodePurpose.CHANGE_CONTACT) is None
    # What was recorded never prints the number or the code.
    assert PHONE not in repr(channel.sent) and "222222" not in repr(channel.sent)


def test_r_id_6_every_purpose_has_words() -> None:
    for purpose in CodePurpose:
        assert "123456" in code_message("123456", purpose)
