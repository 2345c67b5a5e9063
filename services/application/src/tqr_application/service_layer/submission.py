"""Submitting the draft (R-WIZ-7..10): idempotent, one live application per certificate, plan
and applicant.

The certificate number is checked once more against the registry (R-WIZ-10: a number on record is
its holder's; the registry may have learned it since step 3) in its canonical form (R-WIZ-11: a
draft saved before that rule may hold it full width). The write transaction starts with the
statements that take the database's guards — the (plan, certificate, applicant) live key, then the
per-(year, authority) counter upsert — so two submissions never both pass; a repeated idempotency
key returns the first result instead of an error. Another applicant's live application for the
same number does not stop this one: both are marked for the confirmation point (R-WIZ-10).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from servicekit import text
from servicekit.errors import FieldProblem, InvalidInput, RuleViolation
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from tqr_application.adapters import application_repository as repo
from tqr_application.adapters import draft_repository as drafts
from tqr_application.adapters import plan_repository as plans_repo
from tqr_application.adapters import reference_repository as ref
from tqr_application.adapters.personal_data import normalise_document_number
from tqr_application.domain import certificate_claims, numbers
from tqr_application.domain.application import Answers, Application, Placement
from tqr_application.domain.edits import BEIJING
from tqr_application.domain.roles import Actor
from tqr_application.domain.wizard import ensure_ready_to_submit, record_submission, submission_snapshot
from tqr_application.metrics import SUBMISSIONS
from tqr_application.service_layer import events, sections, wizard
from tqr_application.service_layer.applicant import duplicate_live
from tqr_application.service_layer.context import ServiceContext
from tqr_application.service_layer.read_model import ApplicationDetails, details
from tqr_application.service_layer.wizard import Identity, StoredDraft, check_identity

MAX_KEY_LENGTH = 100


@dataclass(frozen=True)
class Submitted:
    details: ApplicationDetails
    email: str


async def submit(
    ctx: ServiceContext, actor: Actor, identity: Identity, idempotency_key: str, overrides: Iterable[str] = ()
) -> Submitted:
    check_identity(actor, identity)
    key = idempotency_key.strip()
    if not key or len(key) > MAX_KEY_LENGTH:
        raise InvalidInput(
            [FieldProblem("idempotency_key", "R-WIZ-9", "缺少提交标识", "An idempotency key is required")]
        )
    async with ctx.reading() as session:
        earlier = await repo.by_idempotency_key(session, ctx.cipher, actor.subject_id, key)
        if earlier is not None:
            return await _result(ctx, earlier, actor)
        try:
            record, stored = await _prepare(ctx, session, actor, identity, overrides)
        except RuleViolation:
            # A concurrent identical submit (a double click) may have committed since the look-up
            # above, leaving the draft marked submitted: that is the same submission, not a refusal.
            earlier = await repo.by_idempotency_key(session, ctx.cipher, actor.subject_id, key)
            if earlier is None:
                raise
            return await _result(ctx, earlier, actor)
    try:
        async with ctx.transaction() as session:
            await repo.claim_live(
                session, record.plan_id, record.certificate_number, record.applicant_id, record.id
            )
            year = record.submitted_at.astimezone(BEIJING).year
            sequence = await repo.next_sequence(session, year, record.authority_code)
            record.application_number = numbers.format(year, record.authority_code, sequence)
            await repo.add(session, ctx.cipher, record, key)
            await events.stage_recorded(ctx, session, record)
            done = record_submission(stored.draft, record.application_number, record.submitted_at)
            marked = StoredDraft(done, stored.identity, stored.revision)
            if not await drafts.save(session, actor.subject_id, marked.document(), record.submitted_at,
                                     read=marked.revision, open_plan=marked.open_plan_id):
                # A step was saved after the draft was checked: what would be filed is not what was shown.
                raise wizard.draft_changed()
    except IntegrityError:
        async with ctx.reading() as session:
            earlier = await repo.by_idempotency_key(session, ctx.cipher, actor.subject_id, key)
            live = await repo.live_application_id(
                session, record.plan_id, record.certificate_number, record.applicant_id
            )
        if earlier is not None:  # a concurrent identical submit won: same answer
            return await _result(ctx, earlier, actor)
        if live is not None:
            raise duplicate_live() from None
        raise
    SUBMISSIONS.labels(record.authority_code).inc()
    return await _result(ctx, record, actor)


async def _prepare(
    ctx: ServiceContext, session: AsyncSession, actor: Actor, identity: Identity, overrides: Iterable[str]
) -> tuple[Application, StoredDraft]:
    """Check the whole draft again at this moment (domain ``ensure_ready_to_submit``)."""
    stored = await wizard.load(session, actor)
    account = wizard.account_of(ctx, actor.subject_id, stored.identity)
    if normalise_document_number(identity.document_number) != normalise_document_number(account.document_number):
        raise RuleViolation(
            "R-WIZ-3",
            "证件号码与申报时的不一致，请重新开始申报",
            "The document number differs from the draft's; start the application again",
        )
    draft = stored.draft
    plan_record = await plans_repo.get_plan(session, draft.authority.plan_id) if draft.authority else None
    authority = await ref.get_authority(session, draft.authority.authority_code) if draft.authority else None
    names = await ref.code_names(session)
    draft = ensure_ready_to_submit(
        draft,
        ctx.now(),
        plan_record,
        account=account,
        authority=authority,
        codes=sections.codes_of(names),
        override_warnings=overrides,
    )
    snapshot = submission_snapshot(draft)
    number = text.normalise_number(snapshot.certificate_number)
    holder = await ref.registry_holder_matches(session, ctx.cipher, number, account.document_number)
    certificate_claims.ensure_holder(on_record=holder is not None, holder_matches=bool(holder))
    now = ctx.now()
    ident = stored.identity
    record = Application.submit(
        id=str(uuid.uuid4()),
        applicant=actor,
        placement=Placement(snapshot.authority.plan_id, snapshot.authority.authority_code, snapshot.point_code),
        certificate_number=number,
        applicant_name=identity.name or account.name,
        document_number=account.document_number,
        answers=Answers(
            certificate=sections.certificate_record(number, snapshot.certificate),
            materials=sections.materials_record(snapshot.materials),
            teaching_stage_code=snapshot.authority.teaching_stage_code,
            teaching_subject_code=snapshot.authority.teaching_subject_code,
            identity={
                k: ident.get(k, "") for k in ("document_type", "gender", "birth_date", "ethnicity", "mobile_masked")
            },
            overridden_warnings=tuple(snapshot.overridden_warnings),
        ),
        certificate_locked=snapshot.certificate_locked,
        now=now,
    )
    return record, StoredDraft(draft, stored.identity, stored.revision)


async def _result(ctx: ServiceContext, record: Application, actor: Actor) -> Submitted:
    async with ctx.reading() as session:
        return Submitted(
            await details(session, record, now=ctx.now(), role=actor.role), record.answers.email
        )
