"""Eligibility reports to the EligibilityReport message."""

from __future__ import annotations

from servicekit.errors import RuleViolation
from tqr.application.v1 import wizard_pb2 as pb

from tqr_application.domain.eligibility import EligibilityOutcome, EligibilityReport
from tqr_application.domain.roles import Actor
from tqr_application.service_layer import eligibility
from tqr_application.service_layer.context import ServiceContext


def report(result: EligibilityReport) -> pb.EligibilityReport:
    likely = result.likely_outcome
    return pb.EligibilityReport(
        eligible=result.eligible, likely_outcome=likely.value if likely else "",
        findings=[pb.EligibilityFinding(code=f.code, blocking=f.outcome is EligibilityOutcome.REJECTED,
                                        message_zh=f.message_zh, message_en=f.message_en, outcome=f.outcome.value)
                  for f in result.findings],
    )


async def check_draft(ctx: ServiceContext, actor: Actor) -> pb.EligibilityReport:
    result = await eligibility.check_draft(ctx, actor)
    if result is None:
        raise RuleViolation("R-WIZ-7", "请先填写申请材料，再检查是否符合注册条件",
                            "Fill in the application materials before the eligibility check")
    return report(result)


async def check_application(ctx: ServiceContext, actor: Actor, application_id: str) -> pb.EligibilityReport:
    return report(await eligibility.check_application(ctx, actor, application_id))
