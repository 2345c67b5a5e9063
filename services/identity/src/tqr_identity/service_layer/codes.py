"""R-ID-6: verification codes, sent through the notification service by an outbox event."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from servicekit.errors import FieldProblem, InvalidInput
from servicekit.masking import mask_mobile

from tqr_identity.domain.contact import validate_mobile
from tqr_identity.security.verification_codes import CodePurpose
from tqr_identity.service_layer import events
from tqr_identity.service_layer.context import IdentityContext, client_key
from tqr_identity.service_layer.human_check import require_human_pass

log = logging.getLogger(__name__)
RULE = "R-ID-6"
MOBILE_CHANNELS = ("SMS", "ALTERNATIVE")


@dataclass(frozen=True)
class CodeSent:
    destination_hint: str
    expires_in_seconds: int
    resend_after_seconds: int


async def send_code(
    ctx: IdentityContext, *, purpose: CodePurpose, channel: str, destination: str, hint: str, client_id: str,
    aggregate_id: str, subject: str = "",
) -> CodeSent:
    """Issue a code (caps and cooldown apply) and stage its event; the caller redeemed a human pass
    or proved the account's password. ``subject``: the account the code is good for alone."""
    code = await ctx.security.codes.issue(purpose, destination, client_key(client_id), subject)
    async with ctx.transaction() as session:
        await events.verification_code_requested(
            ctx, session, purpose=purpose.value, channel=channel, destination=destination, hint=hint, code=code,
            aggregate_id=aggregate_id,
        )
    log.info("verification code staged", extra={"purpose": purpose.value, "channel": channel})
    policy = ctx.security.codes.policy
    return CodeSent(hint, policy.validity_seconds, policy.resend_cooldown_seconds)


async def request_registration_code(
    ctx: IdentityContext, *, pass_token: str, purpose: str, channel: str, destination: str, client_id: str
) -> CodeSent:
    """R-ID-5 then R-ID-6: after a human pass, a REGISTER code to the mobile being registered."""
    if purpose not in ("", "REGISTER"):
        raise InvalidInput(
            [FieldProblem("purpose", RULE, "此处只能获取注册验证码；找回密码请使用“忘记密码”",
                          "Only registration codes are sent here; use “Forgot password” to reset a password")],
            code=RULE,
        )
    channel = channel or "SMS"
    if channel not in MOBILE_CHANNELS:
        raise InvalidInput(
            [FieldProblem("channel", RULE, "注册验证码只能发送到手机（短信或备用渠道）",
                          "Registration codes go to the mobile (SMS or the alternative channel)")],
            code=RULE,
        )
    mobile = validate_mobile(destination)
    await require_human_pass(ctx, pass_token)
    return await send_code(
        ctx, purpose=CodePurpose.REGISTER, channel=channel, destination=mobile, hint=mask_mobile(mobile),
        client_id=client_id, aggregate_id="registration",
    )
