"""The applicant's own applications after submission (R-APP-1..4); another's id is NotFound."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from servicekit.errors import InvalidInput, NotFound, RuleViolation
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from tqr_application.adapters import application_repository as repo
from tqr_application.adapters import plan_repository as plans_repo
from tqr_application.adapters import reference_repository as ref
from tqr_application.domain import certificate_claims, edits
from tqr_application.domain.application import Application, Placement
from tqr_application.domain.edits import BEIJING, CertificateSection, FieldGroup
from tqr_application.domain.plans import PointWindow
from tqr_application.domain.reference import RegistryCertificate
from tqr_application.domain.roles import Actor, Role
from tqr_application.domain.status import StatusAction
from tqr_application.domain.wizard import CertificateData, validation
from tqr_application.domain.wizard.fields import Problems
from tqr_application.domain.wizard.warnings import WarningsNeedConfirmation
from tqr_application.service_layer import sections, slots, workflow
from tqr_application.service_layer.access import require_role
from tqr_application.service_layer.context import ServiceContext
from tqr_application.service_layer.plan_windows import current_plan, ensure_has_plan, ensure_has_points
from tqr_application.service_layer.read_model import ApplicationDetails, details


def not_found() -> NotFound:
    return NotFound("APPLICATION_NOT_FOUND", "找不到该申请", "No such application")


async def load_own(ctx: ServiceContext, session: AsyncSession, actor: Actor, application_id: str) -> Application:
    require_role(actor, Role.APPLICANT)
    record = await repo.get(session, ctx.cipher, application_id, applicant_id=actor.subject_id)
    if record is None:
        raise not_found()
    return record


async def list_mine(ctx: ServiceContext, actor: Actor) -> list[ApplicationDetails]:
    require_role(actor, Role.APPLICANT)
    async with ctx.reading() as session:
        records = await repo.of_applicant(session, ctx.cipher, actor.subject_id)
        return [await details(session, r, now=ctx.now(), role=actor.role) for r in records]


async def get_mine(ctx: ServiceContext, actor: Actor, application_id: str) -> ApplicationDetails:
    async with ctx.reading() as session:
        record = await load_own(ctx, session, actor, application_id)
        return await details(session, record, now=ctx.now(), role=actor.role)


async def _confirmation_end(session: AsyncSession, record: Application) -> PointWindow:
    plan = await plans_repo.get_plan(session, record.plan_id)
    window = plan.window_of(record.point_code) if plan else None
    if window is None:  # the authority removed the point from its plan: nothing can be edited
        raise RuleViolation(
            "R-APP-3",
            "该确认点已不在注册计划中，申请信息不能修改",
            "The confirmation point is no longer in the plan; the application cannot be changed",
        )
    return window


async def edit(
    ctx: ServiceContext,
    actor: Actor,
    application_id: str,
    expected_version: int,
    *,
    certificate: dict[str, str] | None = None,
    materials: dict[str, object] | None = None,
    email: str | None = None,
    point_code: str | None = None,
    teaching: tuple[str, str] | None = None,
) -> tuple[ApplicationDetails, bool]:
    """R-APP-3 / R-APP-6: one section; returns the application and whether the registry replaced
    the entry. The application number never changes."""
    now = ctx.now()
    today = now.astimezone(BEIJING).date()
    async with ctx.transaction() as session:
        record = await load_own(ctx, session, actor, application_id)
        workflow.check_expected_version(record, expected_version)
        window = await _confirmation_end(session, record)
        replaced = False
        previous_number = record.certificate_number
        if certificate is not None:
            section, replaced = await _edit_certificate(ctx, session, record, certificate, window, today)
            record.replace_certificate(section, number=str(section["certificate_number"]), locked=replaced, now=now)
        elif point_code is not None:
            await _change_point(ctx, session, record, point_code, window)
        elif teaching is not None:
            await _change_teaching(ctx, session, record, *teaching, window)
        elif materials is not None:
            edits.ensure_may_edit(record.status, FieldGroup.MATERIALS, now=now, confirmation_end=window.confirm_end)
            checked = sections.check_materials({**materials, "email": record.answers.email}, today, "R-APP-3")
            record.replace_materials(checked, now)
        else:
            edits.ensure_may_edit(record.status, FieldGroup.CONTACT, now=now, confirmation_end=window.confirm_end)
            record.replace_email(sections.check_email(email or "", "R-APP-3"), now)
        await workflow.store(ctx, session, record)
        if record.certificate_number != previous_number:
            await _move_live_key(session, record)
        return await details(session, record, now=now, role=actor.role), replaced


async def _change_point(
    ctx: ServiceContext, session: AsyncSession, record: Application, point_code: str, window: PointWindow
) -> None:
    """R-APP-6: another point of the same plan whose confirmation window has not ended."""
    plan = await plans_repo.get_plan(session, record.plan_id)
    chosen = plan.window_of(point_code.strip()) if plan and point_code.strip() else None
    edits.ensure_may_change_point(
        record.status, now=ctx.now(), confirmation_end=window.confirm_end,
        new_point_confirm_end=chosen.confirm_end if chosen else None,
    )
    if point_code.strip() != record.point_code:
        record.replace_point(point_code.strip(), ctx.now())


async def _change_teaching(
    ctx: ServiceContext, session: AsyncSession, record: Application, stage: str, subject: str, window: PointWindow
) -> None:
    """R-APP-6: 现任教学段 and 现任教学科, checked against the code lists as at step 4."""
    edits.ensure_may_edit(record.status, FieldGroup.TEACHING, now=ctx.now(), confirmation_end=window.confirm_end)
    names = await ref.code_names(session)
    problems = Problems("R-APP-6")
    stage, subject = stage.strip(), subject.strip()
    if stage not in names["stages"]:
        problems.add("teaching_stage_code", "请选择现任教学段", "Choose the stage you teach now")
    if subject not in names["subjects"]:
        problems.add("teaching_subject_code", "请选择现任教学科；列表中没有您的学科时，请联系省级教师资格认定指导部门",
                     "Choose the subject you teach now; if it is missing, contact the guiding centre")
    if problems:
        raise InvalidInput(problems.items, code="R-APP-6")
    if (stage, subject) != (record.answers.teaching_stage_code, record.answers.teaching_subject_code):
        record.replace_teaching(stage, subject, ctx.now())


async def _edit_certificate(
    ctx: ServiceContext,
    session: AsyncSession,
    record: Application,
    raw: dict[str, str],
    window: PointWindow,
    today: date,
) -> tuple[dict[str, object], bool]:
    edits.ensure_may_edit(
        record.status,
        FieldGroup.CERTIFICATE,
        now=ctx.now(),
        confirmation_end=window.confirm_end,
        certificate_locked=record.certificate_locked,
    )
    # R-WIZ-11 then R-WIZ-10, as at step 3: the number in its canonical form, and a number on
    # record only by its holder.
    problems = Problems("R-APP-3")
    number = validation.read_certificate_number(problems, raw.get("certificate_number") or "")
    if problems:
        raise InvalidInput(problems.items, code="R-APP-3")
    # R-APP-6: the number is checked as at step 3: one that is not 15 or 17 digits is a warning
    # the applicant corrects or confirms ("仍然继续"), unless it is the number already filed.
    unusual = validation.certificate_number_warning(number)
    if unusual is not None and number != record.certificate_number and not raw.get("accept_unusual_number"):
        raise WarningsNeedConfirmation([unusual])
    holder = await ref.registry_holder_matches(session, ctx.cipher, number, record.document_number)
    certificate_claims.ensure_holder(on_record=holder is not None, holder_matches=bool(holder))
    stored = record.answers.certificate
    values = {
        **raw,
        "gender": raw.get("gender") or stored.get("gender", ""),
        "birth_date": raw.get("birth_date") or stored.get("birth_date", ""),
    }
    checked = sections.check_certificate_details(values, await ref.code_names(session), today, "R-APP-3")
    match = await ref.find_registry_certificate(session, ctx.cipher, number, record.document_number)
    current = _section(record)
    proposed = replace(
        current,
        certificate_number=number,
        holder_name=checked.holder_name,
        certificate_type_code=checked.certificate_type_code,
        subject_code=checked.subject_code,
        issuing_body=checked.issuing_body,
        issue_date=checked.issue_date,
    )

    def lookup(cert: str, doc: str) -> RegistryCertificate | None:
        return match if match and cert == match.certificate_number else None

    outcome = edits.edit_certificate(
        record.status, current, proposed, now=ctx.now(), confirmation_end=window.confirm_end, lookup=lookup
    )
    if outcome.replaced_from_registry and match is not None:
        return sections.certificate_record(match.certificate_number, CertificateData.from_registry(match)), True
    return sections.certificate_record(number, checked), False


def _section(record: Application) -> CertificateSection:
    c = record.answers.certificate
    return CertificateSection(
        certificate_number=c["certificate_number"],
        document_number=record.document_number,
        holder_name=c["holder_name"],
        certificate_type_code=c["certificate_type_code"],
        subject_code=c["subject_code"],
        issuing_body=c["issuing_body"],
        issue_date=date.fromisoformat(c["issue_date"]),
        locked=record.certificate_locked,
    )


async def _move_live_key(session: AsyncSession, record: Application) -> None:
    """The (plan, certificate, applicant) key follows the application; a clash with another of
    the applicant's own live applications is R-WIZ-9 (another applicant's is no clash: R-WIZ-10)."""
    await repo.release_live(session, record.id)
    try:
        await repo.claim_live(session, record.plan_id, record.certificate_number, record.applicant_id, record.id)
    except IntegrityError as exc:
        raise duplicate_live() from exc


def duplicate_live() -> RuleViolation:
    return RuleViolation(
        "R-WIZ-9",
        "您在本次注册计划中已经用这个证书号码提交过申请，不能重复申请；如需重新申请，请先撤回原申请",
        "You already have an application with this certificate number in this registration plan; "
        "withdraw it first if you want to apply again",
    )


async def correct_authority(
    ctx: ServiceContext, actor: Actor, application_id: str, authority_code: str, point_code: str, expected_version: int
) -> ApplicationDetails:
    """WRONG_AUTHORITY → SUBMITTED with another authority and point, inside the new plan's window."""
    now = ctx.now()
    async with ctx.transaction() as session:
        record = await load_own(ctx, session, actor, application_id)
        workflow.check_expected_version(record, expected_version)
        authority = await ref.get_authority(session, authority_code)
        if authority is None:
            raise NotFound("AUTHORITY_NOT_FOUND", "找不到该注册机构", "No such registration authority")
        plan = ensure_has_plan(
            current_plan(await plans_repo.plans_of_authority(session, authority_code), now), authority.name
        )
        window = plan.window_of(point_code)
        edits.ensure_may_change_authority(
            record.status,
            now=now,
            new_plan_online_start=plan.online_start,
            new_plan_online_end=plan.online_end,
            new_point_confirm_end=window.confirm_end if window else None,
        )
        ensure_has_points(plan, authority.name)
        if window is None:
            raise RuleViolation(
                "R-WIZ-5", "请选择该注册机构计划中的现场确认点", "Choose a confirmation point of this authority's plan"
            )
        previous_plan = record.plan_id
        placement = Placement(plan.plan_id, authority_code, point_code)
        record.apply(StatusAction.CORRECT_AUTHORITY, actor, now, placement=placement)
        await workflow.store(ctx, session, record)
        if record.plan_id != previous_plan:
            await _move_live_key(session, record)
        return await details(session, record, now=now, role=actor.role)


async def withdraw(
    ctx: ServiceContext, actor: Actor, application_id: str, reason: str, expected_version: int
) -> ApplicationDetails:
    async with ctx.transaction() as session:
        record = await load_own(ctx, session, actor, application_id)
        workflow.check_expected_version(record, expected_version)
        record.apply(StatusAction.WITHDRAW, actor, ctx.now(), reason=reason)
        await workflow.store(ctx, session, record)
        await slots.release(session, record.applicant_id, record.plan_id)  # R-SLOT-1: the place is free again
        return await details(session, record, now=ctx.now(), role=actor.role)


async def resubmit_materials(
    ctx: ServiceContext, actor: Actor, application_id: str, expected_version: int
) -> ApplicationDetails:
    """Issue 19 item 19: the applicant says the missing papers are ready; the point sees them marked."""
    async with ctx.transaction() as session:
        record = await load_own(ctx, session, actor, application_id)
        workflow.check_expected_version(record, expected_version)
        record.resubmit_materials(ctx.now())
        await workflow.store(ctx, session, record)
        return await details(session, record, now=ctx.now(), role=actor.role)


async def list_messages(
    ctx: ServiceContext, actor: Actor, application_id: str
) -> tuple[list[dict[str, object]], list[dict[str, str]]]:
    """R-APP-4: messages on own applications and the on-site notes of the chosen points."""
    async with ctx.reading() as session:
        if application_id:
            records = [await load_own(ctx, session, actor, application_id)]
        else:
            require_role(actor, Role.APPLICANT)
            records = await repo.of_applicant(session, ctx.cipher, actor.subject_id)
        rows = await repo.messages(session, [r.id for r in records])
        notes: list[dict[str, str]] = []
        for r in records:
            found = await ref.get_point(session, r.point_code)
            if found and found[1]:
                notes.append(
                    {"application_id": r.id, "point_code": r.point_code, "point_name": found[0].name, "notes": found[1]}
                )
    return rows, notes
