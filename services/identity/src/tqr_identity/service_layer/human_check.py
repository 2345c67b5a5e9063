"""R-ID-5: the human check before a code is sent or a sign-in is tried."""

from __future__ import annotations

from enum import StrEnum

from servicekit.errors import RuleViolation

from tqr_identity.security.slider import Challenge
from tqr_identity.security.text_challenge import TextChallenge
from tqr_identity.service_layer.context import IdentityContext, client_key

RULE = "R-ID-5"


class HumanCheckKind(StrEnum):
    SLIDER = "SLIDER"
    TEXT = "TEXT"


async def issue_human_check(ctx: IdentityContext, kind: HumanCheckKind, client_id: str
                            ) -> Challenge | TextChallenge:
    """A new check, within the client's issue limit (R-ID-15: solved checks gate every answer about
    an account, so they are not handed out without bound)."""
    await ctx.security.check_issues.take(client_key(client_id))
    if kind is HumanCheckKind.TEXT:
        return await ctx.security.text.issue()
    return await ctx.security.slider.issue()


async def answer_human_check(ctx: IdentityContext, kind: HumanCheckKind, challenge_id: str, answer: str) -> str | None:
    """A single-use pass token for a right answer; None otherwise (the challenge is used up)."""
    if kind is HumanCheckKind.TEXT:
        return await ctx.security.text.solve(challenge_id, answer)
    try:
        x = round(float(answer.strip()))
    except (ValueError, OverflowError):
        x = -10_000  # still consume the challenge: every challenge is checked once
    return await ctx.security.slider.solve(challenge_id, x)


async def require_human_pass(ctx: IdentityContext, pass_token: str) -> None:
    """Redeem the pass of a solved human check, or refuse (R-ID-5)."""
    if not await ctx.security.passes.redeem(pass_token):
        raise RuleViolation(
            RULE,
            "请先完成安全验证（拖动滑块或回答问题）",
            "Complete the security check first (drag the slider or answer the question)",
        )
