"""The form's data (FormDataService, role SYSTEM) is read for every download and every printout
status the applicant's page shows: it reads what the form prints, not what only staff weigh."""

from __future__ import annotations

import re

from tqr.application.v1 import form_pb2, staff_pb2
from tqr.common.v1.vocabulary_pb2 import ROLE_SYSTEM

from services.application.tests.integration.statements import engine_of, statements_of

STAFF_ONLY = ("live_applications", "status_history")  # R-WIZ-10 / R-STAFF-8's claims; the history


def tables_read(statements: list[str]) -> set[str]:
    return {t for s in statements for t in STAFF_ONLY if re.search(rf"\b{t}\b", s)}


async def test_the_forms_data_reads_no_claim_or_history(app, h):
    done = await app.submit_new()
    system = h.Actor(subject_id="documents", role=ROLE_SYSTEM)
    with statements_of(engine_of(app.ctx)) as statements:
        form = await app.call(app.form.GetApplicationForForm, form_pb2.GetApplicationForFormRequest(
            application_id=done.application_id), system)
    assert form.application_number == done.application_number and form.edit_revision >= 1
    assert statements and tables_read(statements) == set(), statements


async def test_staff_still_see_the_claims_and_the_history(app, h):
    """The control: the same application read by its authority's staff reads both."""
    done = await app.submit_new()
    with statements_of(engine_of(app.ctx)) as statements:
        view = await app.call(app.staff.GetApplicationForStaff, staff_pb2.GetApplicationForStaffRequest(
            application_id=done.application_id), h.staff("AUTHORITY_ADMIN", "110108"))
    assert view.application.application_number == done.application_number
    assert tables_read(statements) == set(STAFF_ONLY), statements


async def test_r_app_8_the_form_revision_names_the_owner_and_follows_the_forms_version(app, h):
    """GetFormRevision: what the printout status needs, one statement, the same version as the form's."""
    from servicekit import errors
    from tqr.application.v1 import applications_pb2

    who = h.new_applicant()
    done = await app.submit_new(who)
    system = h.Actor(subject_id="documents", role=ROLE_SYSTEM)
    ask = form_pb2.GetFormRevisionRequest(application_id=done.application_id)
    with statements_of(engine_of(app.ctx)) as statements:
        first = await app.call(app.form.GetFormRevision, ask, system)
    assert (first.application_id, first.applicant_id, first.edit_revision) == (
        done.application_id, who.actor.subject_id, 1)
    assert len(statements) == 1, statements
    await app.call(app.applicant.EditApplication, applications_pb2.EditApplicationRequest(
        application_id=done.application_id, email="second@example.cn"), who.actor)
    form = await app.call(app.form.GetApplicationForForm, form_pb2.GetApplicationForFormRequest(
        application_id=done.application_id), system)
    assert (await app.call(app.form.GetFormRevision, ask, system)).edit_revision == form.edit_revision == 2
    assert isinstance(await app.refused(app.form.GetFormRevision, ask, who.actor), errors.PermissionDenied)
    missing = form_pb2.GetFormRevisionRequest(application_id="no-such-application")
    assert isinstance(await app.refused(app.form.GetFormRevision, missing, system), errors.NotFound)
