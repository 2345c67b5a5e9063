"""Verifying scanned form codes and exporting a point's applicants, over a fake application service."""

from __future__ import annotations

import io

import openpyxl
import pytest
from servicekit.errors import InvalidInput, PermissionDenied
from sqlalchemy import select
from tqr_documents.adapters.orm import staff_exports
from tqr_documents.domain.access import Caller
from tqr_documents.domain.form_code import FormCodeSigner
from tqr_documents.service_layer.downloads import download_form
from tqr_documents.service_layer.exports import export_point_applicants
from tqr_documents.service_layer.form_codes import verify_form_code

from services.documents.tests.fakes import FakeApplication

POINT_STAFF = Caller("S1", "POINT_STAFF", "P1")


async def test_r_staff_2_the_code_on_a_downloaded_form_is_genuine_and_current(documents, form) -> None:
    downloaded = await download_form(documents, Caller("U1", "APPLICANT"), "A1", "pdf")

    check = await verify_form_code(documents, POINT_STAFF, downloaded.code_text)

    assert check.genuine and check.current
    assert check.application_number == form.application_number
    assert check.application_id == "A1"
    assert check.form_version == downloaded.form_version


async def test_r_staff_2_a_printout_made_before_an_edit_is_genuine_but_not_current(documents) -> None:
    old = await download_form(documents, Caller("U1", "APPLICANT"), "A1", "pdf")
    documents.applications.edit("A1", email="changed@example.cn")

    check = await verify_form_code(documents, POINT_STAFF, old.code_text)

    assert check.genuine and not check.current


async def test_r_staff_2_an_altered_or_forged_code_is_not_genuine(documents, form, signer) -> None:
    code = signer.sign_form(form)
    other_number = "2026110105000999"
    altered = code.replace(form.application_number, other_number)
    forged = FormCodeSigner({"K3": b"z" * 32}, "K3").sign_form(form)

    for text in (altered, forged, "not a code"):
        check = await verify_form_code(documents, POINT_STAFF, text)
        assert not check.genuine and check.application_number == "" and check.application_id == ""


async def test_r_staff_4_applicants_do_not_verify_codes(documents, form, signer) -> None:
    with pytest.raises(PermissionDenied):
        await verify_form_code(documents, Caller("U1", "APPLICANT"), signer.sign_form(form))


def _sheet_rows(data: bytes) -> list[tuple]:
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    return list(sheet.iter_rows(values_only=True))


async def test_r_staff_2_point_staff_export_the_applicants_of_their_point(documents, form) -> None:
    export = await export_point_applicants(documents, POINT_STAFF, "P1")

    rows = _sheet_rows(export.data)
    assert rows[0][0] == "报名号" and len(rows) == 2
    assert rows[1][0] == form.application_number and rows[1][1] == form.applicant_name
    assert form.document_number not in str(rows)  # masked only
    async with documents.sessions() as session:
        logged = (await session.execute(select(staff_exports))).one()
    assert (logged.actor_subject_id, logged.point_code, logged.rows) == ("S1", "P1", 1)


async def test_r_staff_2_authority_admin_exports_any_point_of_the_authority(documents, form) -> None:
    documents.applications.add(FakeApplication("A2", "U2", "110105", "P2", form.__class__(
        **{**form.__dict__, "application_number": "2026110105000456"})))
    export = await export_point_applicants(documents, Caller("S2", "AUTHORITY_ADMIN", "110105"), "P2")
    assert [r[0] for r in _sheet_rows(export.data)[1:]] == ["2026110105000456"]


async def test_r_staff_4_export_of_another_organisations_point_is_refused(documents) -> None:
    with pytest.raises(PermissionDenied):
        await export_point_applicants(documents, Caller("S1", "POINT_STAFF", "P1"), "P2")
    with pytest.raises(PermissionDenied):
        await export_point_applicants(documents, Caller("S2", "AUTHORITY_ADMIN", "120101"), "P1")
    with pytest.raises(PermissionDenied):
        await export_point_applicants(documents, Caller("U1", "APPLICANT"), "P1")
    with pytest.raises(InvalidInput):
        await export_point_applicants(documents, POINT_STAFF, "  ")
