"""The application wizard (R-WIZ-1..8): the domain's state machine over a draft kept on the server.

``domain.wizard`` checks every step whatever the client sent; this module loads what a step needs
(the registry record for the typed number, the chosen authority and its plans, the code lists),
builds the domain's ``WizardEnv`` with closures over them, and stores the new draft. The draft
belongs to the account (the Actor), so the applicant continues on another device. The account's
identity, document number sealed, is stored beside the draft: the draft itself holds it only masked.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from servicekit import text
from servicekit.errors import Conflict, NotFound, PermissionDenied, RuleViolation
from sqlalchemy.ext.asyncio import AsyncSession

from tqr_application.adapters import draft_repository as drafts
from tqr_application.adapters import plan_repository as plans_repo
from tqr_application.adapters import reference_cache
from tqr_application.adapters import reference_repository as ref
from tqr_application.adapters import slot_repository as slot_repo
from tqr_application.adapters.personal_data import normalise_document_number
from tqr_application.domain.plans import RegistrationPlan
from tqr_application.domain.reference import Authority, ConfirmationPoint, RegistryCertificate
from tqr_application.domain.roles import Actor, Role
from tqr_application.domain.wizard import (
    Account,
    ClearedAnswer,
    Draft,
    Step,
    WizardEnv,
    WizardWarning,
    go_to_step,
    must_read_seconds_left,
    new_draft,
    submit_step,
)
from tqr_application.metrics import WIZARD_STEPS
from tqr_application.service_layer import slots
from tqr_application.service_layer.access import require_role
from tqr_application.service_layer.context import ServiceContext
from tqr_application.service_layer.read_model import registry_photo
from tqr_application.service_layer.sections import codes_of


@dataclass(frozen=True)
class Identity:
    account_id: str
    name: str
    document_type: str
    document_number: str
    real_name_verified: bool
    gender: str = ""
    birth_date: str = ""
    ethnicity: str = ""
    mobile_masked: str = ""


@dataclass
class DraftView:
    draft: Draft
    account: Account
    seconds_left: float
    authority_name: str = ""
    plan: RegistrationPlan | None = None
    points: dict[str, tuple[ConfirmationPoint, str]] = field(default_factory=dict)
    photo: bytes | None = None
    names: dict[str, dict[str, str]] = field(default_factory=dict)
    overridden: tuple[WizardWarning, ...] = ()
    cleared: tuple[ClearedAnswer, ...] = ()
    booking: slots.BookingView | None = None  # R-SLOT-1: the slot booked at step 5
    point_slots: list[slots.SlotView] = field(default_factory=list)  # the plan's points' open slots
    reference_version: int = 0  # what the reference data read for this view was current at


@dataclass(frozen=True)
class StoredDraft:
    draft: Draft
    identity: dict[str, str]  # the account's identity; document number sealed
    revision: int = 0  # the stored revision this was read at (draft_repository.save)

    def document(self) -> dict[str, Any]:
        """What the drafts table stores."""
        return {"draft": self.draft.to_dict(), "identity": self.identity}

    @property
    def open_plan_id(self) -> str | None:
        """The plan the draft is in while it is not submitted (the online reminder's look-up)."""
        if self.draft.submission is not None or self.draft.authority is None:
            return None
        return self.draft.authority.plan_id


def check_identity(actor: Actor, identity: Identity) -> None:
    """The owner is the Actor; the identity must be theirs and real-name verified (R-ID-9)."""
    require_role(actor, Role.APPLICANT)
    if identity.account_id != actor.subject_id:
        raise PermissionDenied(
            "R-ID-9", "身份信息与登录账号不符", "The identity does not belong to the signed-in account"
        )
    if not identity.real_name_verified:
        raise RuleViolation(
            "R-ID-9", "请先完成实名核验，再申报定期注册", "Complete real-name verification before applying"
        )


def _identity_dict(ctx: ServiceContext, identity: Identity) -> dict[str, str]:
    return {
        "name": identity.name,
        "document_type": identity.document_type,
        "document_number_sealed": ctx.cipher.seal(identity.document_number),
        "gender": identity.gender,
        "birth_date": identity.birth_date,
        "ethnicity": identity.ethnicity,
        "mobile_masked": identity.mobile_masked,
    }


def account_of(ctx: ServiceContext, subject_id: str, identity: dict[str, str]) -> Account:
    return Account(
        subject_id=subject_id,
        name=identity["name"],
        document_type=identity["document_type"],
        document_number=ctx.cipher.open(identity["document_number_sealed"]),
    )


async def _store(session: AsyncSession, ctx: ServiceContext, subject_id: str, stored: StoredDraft) -> bool:
    """Write the draft over the revision it was read at; False when another write came first."""
    return await drafts.save(session, subject_id, stored.document(), ctx.now(), read=stored.revision,
                             open_plan=stored.open_plan_id)


async def load(session: AsyncSession, actor: Actor) -> StoredDraft:
    require_role(actor, Role.APPLICANT)
    loaded = await drafts.load(session, actor.subject_id)
    if loaded is None:
        raise NotFound("DRAFT_NOT_FOUND", "还没有开始申报，请先开始申报", "No application started yet; start one first")
    return StoredDraft(Draft.from_dict(loaded.data["draft"]), loaded.data["identity"], loaded.revision)


def draft_changed() -> Conflict:
    return Conflict(
        "DRAFT_CHANGED",
        "申报内容刚在另一个页面中被修改，请刷新页面，核对后再试",
        "The application was just changed in another window; reload the page, check it and try again",
    )


async def start(ctx: ServiceContext, actor: Actor, identity: Identity) -> DraftView:
    """A new draft, or the one in progress (a submitted one is replaced: a new application)."""
    check_identity(actor, identity)
    async with ctx.transaction() as session:
        loaded = await drafts.load(session, actor.subject_id)
        earlier = Draft.from_dict(loaded.data["draft"]) if loaded is not None else None
        if loaded is not None and earlier is not None and not earlier.submitted:
            stored = StoredDraft(earlier, _identity_dict(ctx, identity), loaded.revision)
            if not await _store(session, ctx, actor.subject_id, stored):
                raise draft_changed()
        else:
            stored = StoredDraft(
                new_draft(str(uuid.uuid4()), actor.subject_id, ctx.now()), _identity_dict(ctx, identity)
            )
            if loaded is not None:
                await drafts.remove(session, actor.subject_id)
            await drafts.create(session, actor.subject_id, stored.document(), ctx.now(), open_plan=stored.open_plan_id)
        return await view(ctx, session, actor, stored)


async def get(ctx: ServiceContext, actor: Actor, *, with_photo: bool = False) -> DraftView:
    async with ctx.reading() as session:
        return await view(ctx, session, actor, await load(session, actor), with_photo=with_photo)


async def go_back(ctx: ServiceContext, actor: Actor, to_step: int) -> DraftView:
    try:
        step = Step(to_step)
    except ValueError:
        step = Step.DONE  # refused below like any step that cannot be reached

    async def change(_session: AsyncSession, stored: StoredDraft, _account: Account) -> Changed:
        return Changed(go_to_step(stored.draft, step, ctx.now()))

    return await _rewrite(ctx, actor, change)


async def discard(ctx: ServiceContext, actor: Actor) -> None:
    require_role(actor, Role.APPLICANT)
    async with ctx.transaction() as session:
        await drafts.remove(session, actor.subject_id)
        await slots.release_unkept(session, actor.subject_id)  # a discarded draft holds no place


async def build_env(
    ctx: ServiceContext, session: AsyncSession, account: Account, draft: Draft, values: dict[str, Any]
) -> WizardEnv:
    """Load what a step may look up and close the domain's look-ups over it (no I/O inside).

    The registry is asked about the typed number in its canonical form (R-WIZ-11): whether it
    holds it at all, and whether for this account's document (R-WIZ-10)."""
    typed = values.get("certificate_number")
    record: RegistryCertificate | None = None
    on_record = ""
    if isinstance(typed, str) and typed.strip():
        number = text.normalise_number(typed)
        holder = await ref.registry_holder_matches(session, ctx.cipher, number, account.document_number)
        if holder:
            record = await ref.find_registry_certificate(session, ctx.cipher, number, account.document_number)
        on_record = number if holder is not None else ""
    codes = [
        c
        for c in (values.get("authority_code"), draft.authority.authority_code if draft.authority else None)
        if isinstance(c, str) and c
    ]
    authorities: dict[str, Authority] = {}
    plans: dict[str, list[RegistrationPlan]] = {}
    for code in codes:
        found = await ref.get_authority(session, code)
        if found is not None:
            authorities[code] = found
            plans[code] = await plans_repo.plans_of_authority(session, code)

    def registry_lookup(certificate_number: str, document_number: str) -> RegistryCertificate | None:
        if record is None or record.certificate_number != certificate_number:
            return None
        same = normalise_document_number(document_number) == normalise_document_number(record.document_number)
        return record if same else None

    def registry_knows(certificate_number: str) -> bool:
        return bool(on_record) and certificate_number == on_record

    def plans_lookup(code: str) -> Sequence[RegistrationPlan]:
        return plans.get(code, ())

    return WizardEnv(
        clock=ctx.clock,
        account=account,
        codes=codes_of(await ref.code_names(session)),
        registry_lookup=registry_lookup,
        registry_knows=registry_knows,
        authority_lookup=authorities.get,
        plans_lookup=plans_lookup,
        must_read_seconds=ctx.settings.must_read_seconds,
    )


async def save_step(
    ctx: ServiceContext, actor: Actor, step: int, values: dict[str, Any], overrides: Iterable[str] = ()
) -> DraftView:
    values = dict(values)
    slot_id = str(values.pop("slot_id", "") or "")
    point_code = str(values.get("point_code") or "").strip()
    booked_first = False

    async def change(session: AsyncSession, stored: StoredDraft, account: Account) -> Changed:
        if (step == Step.CONFIRMATION_POINT and not booked_first and point_code
                and stored.draft.authority is not None and await slot_repo.points_with_slots(session)):
            raise _BookFirst(stored.draft.authority.plan_id, stored.identity["name"])
        env = await build_env(ctx, session, account, stored.draft, values)
        outcome = submit_step(stored.draft, Step(step), values, env, override_warnings=overrides)
        return Changed(outcome.draft, outcome.overridden, outcome.cleared)

    try:
        result = await _rewrite(ctx, actor, change)
    except _BookFirst as first:
        # R-SLOT-1 at step 5: a point of the plan that publishes slots needs one booked, in a
        # transaction of its own (never inside the draft's rewrite, so a step holds one database
        # connection at a time); the domain then checks the point itself as before. Where no point
        # publishes slots, the step costs what it did before slots existed.
        await slots.sync_draft_booking(ctx, applicant_id=actor.subject_id, applicant_name=first.applicant_name,
                                       plan_id=first.plan_id, point_code=point_code, slot_id=slot_id)
        booked_first = True
        result = await _rewrite(ctx, actor, change)
    WIZARD_STEPS.labels(Step(step).name.lower()).inc()
    return result


class _BookFirst(Exception):
    """Step 5 found appointment slots in use: book (or release) first, then save the step."""

    def __init__(self, plan_id: str, applicant_name: str) -> None:
        super().__init__(plan_id)
        self.plan_id, self.applicant_name = plan_id, applicant_name


@dataclass(frozen=True)
class Changed:
    draft: Draft
    overridden: tuple[WizardWarning, ...] = ()
    cleared: tuple[ClearedAnswer, ...] = ()


# A step that finds its draft written by another request meanwhile is applied again to what that
# request wrote, as the applicant meant it to be; a draft rewritten this many times in a row is
# being changed somewhere else all the time, and the applicant is asked to reload instead.
REWRITE_ATTEMPTS = 3


async def _rewrite(
    ctx: ServiceContext,
    actor: Actor,
    change: Callable[[AsyncSession, StoredDraft, Account], Awaitable[Changed]],
) -> DraftView:
    """Read the draft, change it, write it back over the revision read (no transaction needed)."""
    for _ in range(REWRITE_ATTEMPTS):
        async with ctx.autocommitting() as session:
            stored = await load(session, actor)
            account = account_of(ctx, actor.subject_id, stored.identity)
            changed = await change(session, stored, account)
            saved = StoredDraft(changed.draft, stored.identity, stored.revision)
            if not await _store(session, ctx, actor.subject_id, saved):
                continue
            result = await view(ctx, session, actor, saved, account)
            result.overridden, result.cleared = changed.overridden, changed.cleared
            return result
    raise draft_changed()


async def view(
    ctx: ServiceContext, session: AsyncSession, actor: Actor, stored: StoredDraft, account: Account | None = None,
    *, with_photo: bool = False,
) -> DraftView:
    """The draft as shown; the registry photo only ``with_photo`` (step 4's page shows it: every other
    read and every save would carry a person's photo to the gateway for nothing)."""
    draft = stored.draft
    result = DraftView(
        draft=draft,
        account=account or account_of(ctx, actor.subject_id, stored.identity),
        seconds_left=must_read_seconds_left(draft, ctx.now(), ctx.settings.must_read_seconds),
        names=await ref.code_names(session),
    )
    if draft.authority is not None:
        authority = await ref.get_authority(session, draft.authority.authority_code)
        result.authority_name = authority.name if authority else ""
        result.plan = await plans_repo.get_plan(session, draft.authority.plan_id)
        for window in result.plan.point_windows if result.plan else ():
            found = await ref.get_point(session, window.point_code)
            if found:
                result.points[window.point_code] = found
    if with_photo and draft.certificate is not None and draft.certificate.has_photo \
            and draft.certificate_number is not None:
        result.photo = await registry_photo(session, draft.certificate_number.certificate_number)
    if draft.authority is not None and not draft.submitted \
            and set(result.points) & await slot_repo.points_with_slots(session):
        result.point_slots = await slots.open_slots_of(session, list(result.points), ctx.now())
        if draft.point_code:
            result.booking = await slots.booking_view(ctx, session, actor.subject_id, draft.authority.plan_id)
    result.reference_version = reference_cache.version_seen(session)
    return result
