"""R-ID-11: a support request from a person who cannot sign in.

The usual case: the registered mobile is lost, the password is forgotten, and a reset needs a
code sent to that lost mobile. The person gives the document type and number, their name, a
human pass, the new mobile and/or email, and a photo of the document; a reviewer decides through
the ordinary support-request queue (``support.decide_support_request``), which applies the new
contact details and announces ContactDetailsChanged.

The form is public, so it must not tell anyone whether a document is registered: every accepted
request gets the same receipt, and for an unknown document nothing is stored. Only contact
changes are accepted here — name and gender corrections can wait until the person is signed in
again, and keeping the public path narrow limits what a stolen document photo could achieve.
Requests made this way are flagged ``without_sign_in`` so the reviewer compares the photo (and
the name typed) with the account with particular care.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from servicekit.errors import FieldProblem, InvalidInput

from tqr_identity.domain.contact import normalise_email, normalise_mobile
from tqr_identity.domain.documents import parse_document_type, validate_document_number
from tqr_identity.domain.working_days import add_working_days, china_date
from tqr_identity.service_layer import attachments
from tqr_identity.service_layer.context import IdentityContext
from tqr_identity.service_layer.human_check import require_human_pass
from tqr_identity.service_layer.model import CaseStatus, SupportKind, SupportRequest
from tqr_identity.service_layer.names import name_problem, normalise_name
from tqr_identity.service_layer.support import NewSupportRequest, store_support_request, validate_request

log = logging.getLogger(__name__)
RULE = "R-ID-11"


@dataclass(frozen=True)
class AnonymousSupportRequest:
    document_type: str
    document_number: str
    name: str
    pass_token: str
    client_id: str
    requested_mobile: str = ""
    requested_email: str = ""
    explanation: str = ""
    kind: str = SupportKind.CHANGE_CONTACT.value

    def __repr__(self) -> str:  # keeps the document number and contacts out of logs and test output
        return f"AnonymousSupportRequest(document_type={self.document_type!r}, kind={self.kind!r})"


@dataclass(frozen=True)
class SupportReceipt:
    """The one answer every accepted request gets, registered document or not."""

    working_days: int
    answer_by: date

    @property
    def message_zh(self) -> str:
        return (f"我们已收到您的申请。工作人员将在 {self.working_days} 个工作日内"
                f"（{self.answer_by.isoformat()} 前）通过您填写的新手机号码或电子邮箱与您联系。")

    @property
    def message_en(self) -> str:
        return (f"We have received your request. A member of staff will contact you at the new mobile "
                f"number or email address you gave within {self.working_days} working days "
                f"(by {self.answer_by.isoformat()}).")


def _check_kind(raw: str) -> None:
    if raw.strip().upper() not in ("", SupportKind.CHANGE_CONTACT.value):
        raise InvalidInput([FieldProblem(
            "kind", RULE, "未登录时只能申请更换手机号码或电子邮箱；更正姓名或性别请登录后申请",
            "Without signing in you can only ask to change the mobile or email; sign in to correct a "
            "name or gender")], code=RULE)


async def create_support_request_without_sign_in(
        ctx: IdentityContext, cmd: AnonymousSupportRequest, uploads: Sequence[attachments.Upload]
) -> SupportReceipt:
    # Everything that can be checked without the account first, so refusals never depend on it.
    _check_kind(cmd.kind)
    doc_type = parse_document_type(cmd.document_type)
    number = validate_document_number(doc_type, cmd.document_number, today=china_date(ctx.now()))
    problem = name_problem(cmd.name, "name")
    if problem is not None:
        raise InvalidInput([problem], code=RULE)
    wanted = NewSupportRequest(SupportKind.CHANGE_CONTACT.value, requested_email=cmd.requested_email,
                               requested_mobile=cmd.requested_mobile, explanation=cmd.explanation)
    validate_request(wanted)
    photos = attachments.check_uploads(ctx, uploads, RULE)
    await require_human_pass(ctx, cmd.pass_token)  # before any look-up: no probing without solving a check
    # Counted per document whether or not it is registered, so the caps reveal nothing either.
    await ctx.security.support_limits.take(ctx.crypto.login_key(doc_type, number), cmd.client_id)

    now = ctx.now()
    days = ctx.settings.support_anon_answer_working_days
    receipt = SupportReceipt(days, add_working_days(china_date(now), days, ctx.calendar))
    async with ctx.reading() as session:
        account = await ctx.accounts.by_document(session, doc_type, number)
    if account is None:
        log.info("support request without sign-in received for no account", extra={"rule": RULE})
        return receipt
    request = SupportRequest(
        id=str(uuid.uuid4()), account_id=account.id, kind=SupportKind.CHANGE_CONTACT, status=CaseStatus.PENDING,
        explanation=cmd.explanation.strip()[:1000], created_at=now,
        requested_email=normalise_email(cmd.requested_email) if cmd.requested_email.strip() else "",
        requested_mobile=normalise_mobile(cmd.requested_mobile) if cmd.requested_mobile.strip() else "",
        without_sign_in=True, claimed_name=normalise_name(cmd.name)[:100],
    )
    await store_support_request(ctx, request, photos)
    return receipt
