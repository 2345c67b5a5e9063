"""Two writes of one draft at once: neither is lost, and nothing is filed that was not shown.

A wizard step reads its draft, applies the step and writes the draft back over the revision it
read, with no transaction (``ServiceContext.autocommitting``). A write that lands in between (the
applicant's other browser tab, a restart with a corrected identity) makes the step's write find
nothing to overwrite; the step is then applied again to what the other write left.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from servicekit import errors
from sqlalchemy import select
from tqr.application.v1 import views_pb2, wizard_pb2
from tqr_application.adapters import orm
from tqr_application.service_layer import submission, wizard

from services.application.tests.integration.statements import engine_of, statements_of


def interleave(monkeypatch: pytest.MonkeyPatch, module: Any, name: str,
               meanwhile: Callable[[], Awaitable[None]], times: int = 1) -> list[str]:
    """Run ``meanwhile`` (another request's write) inside ``module.name``, the first ``times`` calls."""
    original = getattr(module, name)
    calls: list[str] = []

    async def wrapped(*args: Any, **kwargs: Any) -> Any:
        calls.append(name)
        if len(calls) <= times:
            await meanwhile()
        return await original(*args, **kwargs)

    monkeypatch.setattr(module, name, wrapped)
    return calls


def renamed(who: Any, name: str) -> views_pb2.ApplicantIdentity:
    identity = views_pb2.ApplicantIdentity()
    identity.CopyFrom(who.identity)
    identity.name = name
    return identity


async def revision_of(app: Any, who: Any) -> int:
    async with app.ctx.sessions() as session:
        return int(await session.scalar(select(orm.drafts.c.revision).where(
            orm.drafts.c.applicant_id == who.actor.subject_id)))


async def test_a_write_landing_during_a_step_is_kept_and_the_step_applied_over_it(app, h, monkeypatch):
    who = h.new_applicant(name="李老师")
    await app.fill_until_point(who)
    before = await revision_of(app, who)

    async def restart_with_corrected_name() -> None:
        await app.call(app.wizard.StartApplication,
                       wizard_pb2.StartApplicationRequest(identity=renamed(who, "李晓老师")), who.actor)

    calls = interleave(monkeypatch, wizard, "build_env", restart_with_corrected_name)
    reply = await app.save(who, point=wizard_pb2.PointStep(point_code="11010801"))

    assert calls == ["build_env", "build_env"]  # the step was applied a second time, over the restart's write
    assert reply.draft.point_code == "11010801"
    assert reply.draft.applicant_name == "李晓老师"  # the other write was not overwritten
    again = await app.call(app.wizard.GetDraft, wizard_pb2.GetDraftRequest(), who.actor)
    assert (again.draft.point_code, again.draft.applicant_name) == ("11010801", "李晓老师")
    assert await revision_of(app, who) == before + 2


async def test_a_draft_rewritten_under_every_attempt_is_refused_and_keeps_the_other_writes(app, h, monkeypatch):
    who = h.new_applicant()
    await app.fill_until_point(who)
    names = iter(f"改名{i}" for i in range(10))

    async def restart_again() -> None:
        await app.call(app.wizard.StartApplication,
                       wizard_pb2.StartApplicationRequest(identity=renamed(who, next(names))), who.actor)

    calls = interleave(monkeypatch, wizard, "build_env", restart_again, times=99)
    refused = await app.refused(app.wizard.SaveWizardStep, wizard_pb2.SaveWizardStepRequest(
        point=wizard_pb2.PointStep(point_code="11010801")), who.actor)

    assert isinstance(refused, errors.Conflict) and refused.code == "DRAFT_CHANGED"
    assert "另一个页面" in refused.message_zh and "another window" in refused.message_en
    assert len(calls) == wizard.REWRITE_ATTEMPTS
    monkeypatch.undo()
    draft = (await app.call(app.wizard.GetDraft, wizard_pb2.GetDraftRequest(), who.actor)).draft
    assert draft.point_code == "" and draft.applicant_name == f"改名{wizard.REWRITE_ATTEMPTS - 1}"


async def test_a_step_saved_while_submitting_stops_the_submission(app, h, monkeypatch):
    """The submission files the draft it checked; a step saved after that check means the applicant
    would be filing something they were not shown, so nothing is filed and they are asked to look."""
    who = h.new_applicant()
    await app.fill_until_point(who)
    await app.save(who, point=wizard_pb2.PointStep(point_code="11010801"))
    await app.save(who, notes=wizard_pb2.NotesStep(read=True))
    await app.save(who, materials=wizard_pb2.MaterialsStep(materials=h.materials()))

    async def change_the_point_in_another_tab() -> None:
        await app.save(who, point=wizard_pb2.PointStep(point_code="11010802"))

    original = submission._prepare

    async def prepare_then_other_tab(*args: Any, **kwargs: Any) -> Any:
        prepared = await original(*args, **kwargs)
        await change_the_point_in_another_tab()
        return prepared

    monkeypatch.setattr(submission, "_prepare", prepare_then_other_tab)
    refused = await app.refused(app.wizard.SubmitApplication, wizard_pb2.SubmitApplicationRequest(
        idempotency_key="one-click", identity=who.identity), who.actor)

    assert isinstance(refused, errors.Conflict) and refused.code == "DRAFT_CHANGED"
    assert await app.count(orm.applications, orm.applications.c.applicant_id == who.actor.subject_id) == 0
    assert await app.events("ApplicationSubmitted") == 0
    draft = (await app.call(app.wizard.GetDraft, wizard_pb2.GetDraftRequest(), who.actor)).draft
    assert not draft.submitted and draft.point_code == "11010802"


TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK")


def first_word(query: str) -> str:
    return query.split()[0].rstrip(";").upper()


async def test_a_wizard_step_sends_no_begin_or_commit(app, h):
    """Its two statements commit as they run: BEGIN and COMMIT would be two more round trips.
    (statements_of logs every query on the step's connections, transaction control included, and
    leaves out the outbox relay's, whose own transactions run beside the step.)"""
    who = h.new_applicant()
    await app.fill_until_point(who)
    with statements_of(engine_of(app.ctx)) as statements:
        reply = await app.save(who, point=wizard_pb2.PointStep(point_code="11010801"))
        back = await app.call(app.wizard.GoBack, wizard_pb2.GoBackRequest(to_step=4), who.actor)
    assert reply.draft.point_code == "11010801" and back.draft.current_step == 4
    assert not [q for q in statements if first_word(q) in TRANSACTION_CONTROL], statements
    assert len(statements) == 4, statements  # read and write, twice

    # A transaction still sends them, so the check above can see them.
    with statements_of(engine_of(app.ctx)) as started:
        await app.call(app.wizard.StartApplication, wizard_pb2.StartApplicationRequest(identity=who.identity),
                       who.actor)
    assert [first_word(q) for q in started if first_word(q) in TRANSACTION_CONTROL] == ["BEGIN", "COMMIT"]
