"""Integration events, staged in the outbox inside the handler's transaction.

Personal data travels only sealed for the notification service or masked: contacts are sealed
with purpose "recipient-contact", code destinations with "code-destination". The verification
code itself is the one secret an event carries (it must reach the person); it is never logged.
"""

from __future__ import annotations

from datetime import date, datetime

from google.protobuf.timestamp_pb2 import Timestamp
from servicekit import vocabulary
from servicekit.masking import mask_email
from sqlalchemy.ext.asyncio import AsyncSession
from tqr.identity.v1 import events_pb2

from tqr_identity.service_layer.context import IdentityContext
from tqr_identity.service_layer.model import Account, SupportRequest


async def account_registered(ctx: IdentityContext, session: AsyncSession, account: Account) -> None:
    seal = ctx.sealers.contact.seal
    await ctx.events.stage(session, events_pb2.AccountRegistered(
        account_id=account.id, name=account.name, masked_document_number=account.masked_document_number,
        email_sealed=seal(account.email), mobile_sealed=seal(account.mobile),
    ), aggregate_id=account.id)


async def contact_details_changed(ctx: IdentityContext, session: AsyncSession, account: Account) -> None:
    seal = ctx.sealers.contact.seal
    await ctx.events.stage(session, events_pb2.ContactDetailsChanged(
        account_id=account.id, email_sealed=seal(account.email), mobile_sealed=seal(account.mobile),
    ), aggregate_id=account.id)


def _instant(at: datetime) -> Timestamp:
    # Only the Timestamp is written; the deprecated ISO string (changed_at_iso) stays for readers
    # of events written before it, still in outboxes and queues.
    stamp = Timestamp()
    stamp.FromDatetime(at)
    return stamp


async def email_changed(ctx: IdentityContext, session: AsyncSession, account: Account, previous_email: str,
                        at: datetime, masked_new_email: str) -> None:
    """R-ID-14: the notice to the previous address (sealed as a destination, like a code's)."""
    await ctx.events.stage(session, events_pb2.EmailChanged(
        account_id=account.id, changed_at=_instant(at), masked_new_email=masked_new_email,
        destination_sealed=ctx.sealers.code_destination.seal(previous_email),
    ), aggregate_id=account.id)


async def email_corrected(ctx: IdentityContext, session: AsyncSession, account: Account, previous_email: str,
                          at: datetime, organisation_name: str) -> None:
    """R-APP-7: staff corrected the email; one notice to the previous address, one to the new one."""
    seal = ctx.sealers.code_destination.seal
    masked = mask_email(account.email)
    for destination, to_new in ((previous_email, False), (account.email, True)):
        await ctx.events.stage(session, events_pb2.EmailChanged(
            account_id=account.id, changed_at=_instant(at), masked_new_email=masked,
            destination_sealed=seal(destination), corrected_by=organisation_name or "-", to_new_address=to_new,
        ), aggregate_id=account.id)


async def verification_code_requested(
    ctx: IdentityContext, session: AsyncSession, *, purpose: str, channel: str, destination: str, hint: str,
    code: str, aggregate_id: str,
) -> None:
    await ctx.events.stage(session, events_pb2.VerificationCodeRequested(
        account_hint=hint, purpose=vocabulary.value(events_pb2.CodePurpose, purpose),
        channel=vocabulary.value(events_pb2.CodeChannel, channel), code=code,
        expires_in_seconds=ctx.security.codes.policy.validity_seconds,
        destination_sealed=ctx.sealers.code_destination.seal(destination),
    ), aggregate_id=aggregate_id)


async def real_name_checked(ctx: IdentityContext, session: AsyncSession, account: Account, name: str,
                            verified: bool, reason: str) -> None:
    message: events_pb2.RealNameVerified | events_pb2.RealNameVerificationFailed
    if verified:
        message = events_pb2.RealNameVerified(account_id=account.id, name=name)
    else:
        message = events_pb2.RealNameVerificationFailed(account_id=account.id, name=name, reason=reason)
    await ctx.events.stage(session, message, aggregate_id=account.id)


async def manual_review_requested(ctx: IdentityContext, session: AsyncSession, account_id: str, case_id: str,
                                  due: date) -> None:
    await ctx.events.stage(session, events_pb2.ManualReviewRequested(
        account_id=account_id, case_id=case_id, due_date=due.isoformat()), aggregate_id=account_id)


async def manual_review_decided(ctx: IdentityContext, session: AsyncSession, account_id: str, case_id: str,
                                decision: str, reason: str) -> None:
    await ctx.events.stage(session, events_pb2.ManualReviewDecided(
        account_id=account_id, case_id=case_id, decision=decision, reason=reason), aggregate_id=account_id)


async def password_changed(ctx: IdentityContext, session: AsyncSession, account_id: str, at: datetime,
                           via: str) -> None:
    await ctx.events.stage(session, events_pb2.PasswordChanged(
        account_id=account_id, changed_at=_instant(at), via=via), aggregate_id=account_id)


async def support_request_decided(ctx: IdentityContext, session: AsyncSession, request: SupportRequest,
                                  decision: str, reason: str) -> None:
    event = events_pb2.SupportRequestDecided(
        account_id=request.account_id, request_id=request.id, kind=request.kind.value, decision=decision,
        reason=reason, without_sign_in=request.without_sign_in)
    if request.without_sign_in:
        # The sender may have lost the registered contacts: let the notice reach the new ones too.
        seal = ctx.sealers.contact.seal
        event.requested_mobile_sealed = seal(request.requested_mobile) if request.requested_mobile else ""
        event.requested_email_sealed = seal(request.requested_email) if request.requested_email else ""
    await ctx.events.stage(session, event, aggregate_id=request.account_id)
