"""R-APP-7: an authority admin or a point's staff corrects an applicant's email.

The manual's case: the email an applicant registered is wrong, so a password can never be reset
by email; the authority (or the confirmation point, with the person in front of it) corrects it.
The account's address changes, the one codes, password resets and messages go to, not a copy on
the application. Both addresses are told (the previous one may still be read by its owner, the
new one learns why it now gets mail), and the change is audited with the reason and the
application it was made on.

Only the two roles may (the signed actor says which; the gateway cannot forge it). Which
applications a staff member may touch is the application service's business: the gateway calls
this only after that service has found the application in the caller's scope.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from servicekit.errors import FieldProblem, InvalidInput, PermissionDenied
from servicekit.masking import mask_email

from tqr_identity.domain.contact import validate_email
from tqr_identity.service_layer import events
from tqr_identity.service_layer.access import Caller
from tqr_identity.service_layer.context import IdentityContext
from tqr_identity.service_layer.model import Role
from tqr_identity.service_layer.profile import account_missing

log = logging.getLogger(__name__)
RULE = "R-APP-7"
REASON_MAX = 500
MAY_CORRECT = frozenset({Role.AUTHORITY_ADMIN.value, Role.POINT_STAFF.value})


@dataclass(frozen=True)
class Correction:
    account_id: str
    new_email: str
    reason: str
    application_number: str = ""
    organisation_name: str = ""


@dataclass(frozen=True)
class Corrected:
    account_id: str
    masked_email: str
    changed: bool


async def correct_email(ctx: IdentityContext, caller: Caller, correction: Correction) -> Corrected:
    if caller.role not in MAY_CORRECT:
        raise PermissionDenied(RULE, "只有注册机构或确认点的工作人员可以更正申请人的邮箱",
                               "Only the staff of an authority or a confirmation point can correct an email")
    problems: list[FieldProblem] = []
    email = ""
    try:
        email = validate_email(correction.new_email)
    except InvalidInput as exc:
        problems += [FieldProblem("email", RULE, p.message_zh, p.message_en) for p in exc.problems]
    reason = correction.reason.strip()
    if not reason or len(reason) > REASON_MAX:
        problems.append(FieldProblem("reason", RULE, f"请填写更正原因（不超过 {REASON_MAX} 个字）",
                                     f"Give the reason for the correction (at most {REASON_MAX} characters)"))
    if problems:
        raise InvalidInput(problems, code=RULE)
    now = ctx.now()
    async with ctx.transaction() as session:
        account = await ctx.accounts.get(session, correction.account_id, for_update=True)
        if account is None:
            raise account_missing()
        previous = account.email
        if previous == email:
            return Corrected(account.id, mask_email(email), changed=False)
        changed = account.with_changes(email=email, updated_at=now)
        await ctx.accounts.save(session, changed, contacts_changed=True)
        await events.contact_details_changed(ctx, session, changed)
        await events.email_corrected(ctx, session, changed, previous, now, correction.organisation_name.strip())
        await ctx.cases.audit(
            session, at=now, staff_id=caller.subject_id, role=caller.role,
            organisation_code=caller.organisation_code, action="applicant-email-correction",
            target_kind="account", target_id=account.id, decision="corrected",
            reason=f"{correction.application_number.strip()[:40]}: {reason} "
                   f"({mask_email(previous) if previous else '-'} → {mask_email(email)})")
    log.info("email corrected by staff", extra={"account_id": account.id})
    return Corrected(account.id, mask_email(email), changed=True)
