"""The application service's domain metrics (deploy/: the tqr-domain alerts and the peak dashboard):
counted once per committed step, submission and status change; never for a refused one."""

from __future__ import annotations

import pytest
from prometheus_client import REGISTRY
from tqr.application.v1 import staff_pb2, wizard_pb2


def value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_wizard_steps_are_counted_by_step_and_refused_ones_are_not(app, h):
    who = h.new_applicant()
    await app.start_wizard(who)
    app.clock.advance(seconds=4)
    must_read, terms = (value("tqr_application_wizard_steps_total", step=s) for s in ("must_read", "terms"))
    await app.save(who, must_read=wizard_pb2.MustReadStep())
    await app.refused(app.wizard.SaveWizardStep, wizard_pb2.SaveWizardStepRequest(
        terms=wizard_pb2.TermsStep(accept=False)), who.actor)  # R-WIZ-2: refused, not counted
    assert value("tqr_application_wizard_steps_total", step="must_read") == must_read + 1
    assert value("tqr_application_wizard_steps_total", step="terms") == terms


async def test_a_submission_counts_once_by_authority_and_its_replay_not_again(app, h):
    before = value("tqr_application_submissions_total", authority="110108")
    submitted_before = value("tqr_application_status_changes_total", to_status="SUBMITTED")
    who = h.new_applicant()
    first = await app.submit_new(who, key="metrics-once")
    again = await app.call(app.wizard.SubmitApplication, wizard_pb2.SubmitApplicationRequest(
        idempotency_key="metrics-once", identity=who.identity), who.actor)
    assert again.application_id == first.application_id
    assert value("tqr_application_submissions_total", authority="110108") == before + 1
    assert value("tqr_application_status_changes_total", to_status="SUBMITTED") == submitted_before + 1


@pytest.mark.parametrize("expected_version_offset", [0, 7])
async def test_status_changes_count_only_when_committed(app, h, expected_version_offset):
    submitted = await app.submit_new(h.new_applicant())
    before = value("tqr_application_status_changes_total", to_status="CONFIRMED")
    request = staff_pb2.RecordOnSiteResultRequest(
        application_id=submitted.application_id, action="CONFIRM_ON_SITE", reason="",
        expected_version=submitted.application.version + expected_version_offset)
    point_staff = h.staff("POINT_STAFF", "11010801")
    if expected_version_offset:
        await app.refused(app.staff.RecordOnSiteResult, request, point_staff)  # a stale version: a conflict
        assert value("tqr_application_status_changes_total", to_status="CONFIRMED") == before
    else:
        await app.call(app.staff.RecordOnSiteResult, request, point_staff)
        assert value("tqr_application_status_changes_total", to_status="CONFIRMED") == before + 1
