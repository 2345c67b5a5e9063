"""Downloads of the application form through the service layer, over a fake application service."""

from __future__ import annotations

import io

import docx
import pypdf
import pytest
from servicekit.errors import InvalidInput, NotFound, PermissionDenied
from sqlalchemy import select
from tqr_documents.adapters import render_cache
from tqr_documents.adapters.orm import form_renderings
from tqr_documents.domain.access import Caller
from tqr_documents.domain.form_code import FormCodeSigner
from tqr_documents.service_layer.downloads import chunks, download_form
from tqr_documents.service_layer.render_ahead import render_ahead

OWNER = Caller("U1", "APPLICANT")


def _pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages)


def _docx_text(data: bytes) -> str:
    document = docx.Document(io.BytesIO(data))
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)


async def _rows(ctx) -> list:  # type: ignore[no-untyped-def]
    async with ctx.sessions() as session:
        return list((await session.execute(select(form_renderings))).all())


async def test_r_app_5_owner_downloads_pdf_and_docx_with_the_application_values(documents, form) -> None:
    pdf = await download_form(documents, OWNER, "A1", "pdf")
    word = await download_form(documents, OWNER, "A1", "docx")

    assert pdf.data.startswith(b"%PDF") and pdf.content_type == "application/pdf"
    for value in (form.application_number, form.applicant_name, form.certificate.number, form.current_post.school):
        assert value in _pdf_text(pdf.data)
        assert value in _docx_text(word.data)
    assert pdf.content_hash == word.content_hash == form.content_hash()


async def test_r_app_5_download_after_an_edit_has_the_new_value_never_the_old(documents, form) -> None:
    first = await download_form(documents, OWNER, "A1", "pdf")
    assert form.email in _pdf_text(first.data)

    # The edit's event has not arrived: the download must still read the data as it is now.
    documents.applications.edit("A1", email="zhang.wei.new@example.cn")
    second = await download_form(documents, OWNER, "A1", "pdf")

    text = _pdf_text(second.data)
    assert "zhang.wei.new@example.cn" in text and form.email not in text
    assert second.content_hash != first.content_hash
    assert not second.from_cache
    # The rendering of the old data is gone from the cache (and its file from the disk).
    assert [row.content_hash for row in await _rows(documents)] == [second.content_hash]


async def test_r_app_5_a_second_download_of_the_same_data_is_served_from_the_cache(documents) -> None:
    first = await download_form(documents, OWNER, "A1", "pdf")
    second = await download_form(documents, OWNER, "A1", "pdf")
    assert not first.from_cache and second.from_cache
    assert second.data == first.data


async def test_r_app_5_a_cached_file_that_disappeared_is_rendered_again(documents, tmp_path) -> None:
    first = await download_form(documents, OWNER, "A1", "pdf")
    for path in (tmp_path / "files").rglob("*.pdf"):
        path.unlink()
    again = await download_form(documents, OWNER, "A1", "pdf")
    assert not again.from_cache and again.data.startswith(b"%PDF") and again.content_hash == first.content_hash


async def test_r_app_5_a_rendering_signed_with_a_retired_key_is_not_served(documents, form) -> None:
    await download_form(documents, OWNER, "A1", "pdf")  # signed with K3 (the fixture's current key)
    documents.forms.signer = FormCodeSigner({"K4": b"c" * 32}, "K4")  # K3 retired from the keyring
    again = await download_form(documents, OWNER, "A1", "pdf")
    assert not again.from_cache and again.code_text.startswith("TQR1.K4.")


async def test_r_app_5_another_applicant_gets_not_found(documents) -> None:
    with pytest.raises(NotFound):
        await download_form(documents, Caller("U2", "APPLICANT"), "A1", "pdf")


async def test_r_staff_4_staff_download_only_within_their_organisation(documents) -> None:
    assert (await download_form(documents, Caller("S1", "POINT_STAFF", "P1"), "A1", "pdf")).data
    assert (await download_form(documents, Caller("S2", "AUTHORITY_ADMIN", "110105"), "A1", "docx")).data
    with pytest.raises(PermissionDenied):
        await download_form(documents, Caller("S3", "POINT_STAFF", "P2"), "A1", "pdf")
    with pytest.raises(PermissionDenied):
        await download_form(documents, Caller("S4", "IDENTITY_REVIEWER"), "A1", "pdf")


async def test_unknown_format_is_refused_before_reading_anything(documents) -> None:
    with pytest.raises(InvalidInput):
        await download_form(documents, OWNER, "A1", "odt")
    assert documents.applications.form_reads == 0


async def test_r_app_5_render_ahead_caches_the_pdf_only(documents, form) -> None:
    async with documents.sessions() as session, session.begin():
        await render_ahead(documents, session, "A1")
    rows = await _rows(documents)
    assert [(r.application_id, r.content_hash, r.format) for r in rows] == [("A1", form.content_hash(), "pdf")]
    assert (await download_form(documents, OWNER, "A1", "pdf")).from_cache


async def test_render_ahead_of_an_unknown_application_does_nothing(documents) -> None:
    async with documents.sessions() as session, session.begin():
        await render_ahead(documents, session, "NOPE")
        assert await render_cache.for_application(session, "NOPE") == []


def test_files_stream_in_chunks_of_64_kib() -> None:
    data = bytes(range(256)) * 1000  # 256,000 bytes
    parts = chunks(data)
    assert [len(p) for p in parts] == [65536, 65536, 65536, 59392]
    assert b"".join(parts) == data


def _sample(name: str, **labels: str) -> float:
    from prometheus_client import REGISTRY

    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_renders_and_cache_lookups_are_counted_by_cause_and_outcome(documents) -> None:
    before = {
        "event": _sample("tqr_documents_renders_total", format="pdf", cause="event"),
        "on_demand": _sample("tqr_documents_renders_total", format="docx", cause="on_demand"),
        "hit": _sample("tqr_documents_cache_lookups_total", format="pdf", outcome="hit"),
    }
    async with documents.sessions() as session, session.begin():
        await render_ahead(documents, session, "A1")
    await download_form(documents, OWNER, "A1", "pdf")  # a hit: rendered ahead
    await download_form(documents, OWNER, "A1", "docx")  # rendered on demand

    assert _sample("tqr_documents_renders_total", format="pdf", cause="event") == before["event"] + 1
    assert _sample("tqr_documents_renders_total", format="docx", cause="on_demand") == before["on_demand"] + 1
    assert _sample("tqr_documents_cache_lookups_total", format="pdf", outcome="hit") == before["hit"] + 1
    assert _sample("tqr_documents_render_duration_seconds_count", format="docx") >= 1


async def test_r_app_8_the_form_prints_its_version_and_each_download_is_recorded(documents, form) -> None:
    from tqr_documents.service_layer.downloads import printout_status

    assert (await printout_status(documents, OWNER, "A1")).last_revision == 0  # never downloaded
    first = await download_form(documents, OWNER, "A1", "pdf")
    assert "申请表版本：第 1 版" in _pdf_text(first.data)
    status = await printout_status(documents, OWNER, "A1")
    assert (status.current_revision, status.last_revision, status.out_of_date) == (1, 1, False)
    assert status.last_downloaded_at is not None

    documents.applications.edit("A1", email="new.address@example.cn", edit_revision=2)
    status = await printout_status(documents, OWNER, "A1")
    assert (status.current_revision, status.last_revision, status.out_of_date) == (2, 1, True)
    # A staff member's download is no printout of the applicant's.
    await download_form(documents, Caller("S1", "POINT_STAFF", "P1"), "A1", "docx")
    assert (await printout_status(documents, OWNER, "A1")).out_of_date
    word = await download_form(documents, OWNER, "A1", "docx")
    assert "申请表版本：第 2 版" in _docx_text(word.data)
    status = await printout_status(documents, OWNER, "A1")
    assert (status.last_revision, status.out_of_date) == (2, False)
    with pytest.raises(NotFound):  # another applicant's application: as for a download
        await printout_status(documents, Caller("U2", "APPLICANT"), "A1")


async def test_r_app_8_a_printout_status_reads_no_form_data(documents, form) -> None:
    """The applicant's page asks for it with every view: the owner and the version, not the form."""
    from tqr_documents.service_layer.downloads import printout_status

    before = documents.source.form_reads
    assert (await printout_status(documents, OWNER, "A1")).current_revision == 1
    assert documents.source.form_reads == before
