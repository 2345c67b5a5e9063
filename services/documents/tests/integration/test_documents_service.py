"""The documents service as it runs: the real ServiceHost in-process, called over a real gRPC channel,
reading application data from a double of the application service on its own real gRPC server, and
consuming events from the real RabbitMQ (R-APP-5, R-STAFF-2, R-STAFF-4)."""

from __future__ import annotations

import io
import shutil
import subprocess
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import aio_pika
import docx
import grpc
import openpyxl
import pypdf
import pytest
import tqr_documents
import zxingcpp
from PIL import Image
from servicekit import envelope, errors, migrations
from servicekit.bus.publisher import Publisher
from servicekit.bus.topology import Topology
from servicekit.host import ServiceHost
from servicekit.rpc.errors import from_rpc_error
from sqlalchemy import select
from testkit import wait_for
from testkit.actors import metadata_for
from tqr.application.v1 import events_pb2
from tqr.common.v1.actor_pb2 import Actor
from tqr.common.v1.vocabulary_pb2 import ROLE_APPLICANT, ROLE_AUTHORITY_ADMIN, ROLE_POINT_STAFF
from tqr.documents.v1 import documents_pb2 as pb
from tqr.documents.v1 import documents_pb2_grpc
from tqr_documents.adapters.orm import form_renderings
from tqr_documents.bootstrap import build_host
from tqr_documents.config import DocumentsSettings
from tqr_documents.domain.demo_forms import demo_form

from services.documents.tests.fakes import FakeApplication, FakeApplications, serve_fake_application_service

MIGRATIONS = Path(tqr_documents.__file__).parent / "migrations"
OWNER = Actor(subject_id="U1", role=ROLE_APPLICANT)
STAFF_P1 = Actor(subject_id="S1", role=ROLE_POINT_STAFF, organisation_code="P1")
ADMIN = Actor(subject_id="S2", role=ROLE_AUTHORITY_ADMIN, organisation_code="110105")


@dataclass
class Running:
    host: ServiceHost
    stub: documents_pb2_grpc.DocumentsServiceStub
    applications: FakeApplications
    settings: DocumentsSettings


@pytest.fixture
async def service(db_url: str, amqp_url: str, queue_prefix: str, tmp_path: Path) -> AsyncIterator[Running]:
    applications = FakeApplications(points={"P2": "110105"})
    applications.add(FakeApplication("A1", "U1", "110105", "P1", demo_form(7)))
    applications.add(FakeApplication("A2", "U2", "110105", "P1", demo_form(8)))
    fake_server, fake_port = await serve_fake_application_service(applications)
    settings = DocumentsSettings(
        grpc_port=0, metrics_port=-1, database_url=db_url, amqp_url=amqp_url, queue_prefix=queue_prefix,
        exchange=f"{queue_prefix}events", storage_dir=str(tmp_path / "files"),
        application_addresses=f"127.0.0.1:{fake_port}", warm_up=False, drain_seconds=0.0,
    )
    migrations.upgrade(MIGRATIONS, db_url)
    host = build_host(settings)
    await host.start()
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{host.port}")
    try:
        yield Running(host, documents_pb2_grpc.DocumentsServiceStub(channel), applications, settings)
    finally:
        await channel.close()
        await host.stop()
        await fake_server.stop(None)


async def _download(service: Running, actor: Actor, application_id: str, fmt: int) -> tuple[pb.FileMetadata, bytes]:
    call = service.stub.DownloadApplicationForm(
        pb.DownloadApplicationFormRequest(application_id=application_id, format=fmt), metadata=metadata_for(actor)
    )
    metadata, parts = None, []
    try:
        async for message in call:
            if message.HasField("metadata"):
                assert metadata is None and not parts, "metadata comes first, once"
                metadata = message.metadata
            else:
                assert len(message.chunk) <= 64 * 1024
                parts.append(message.chunk)
    except grpc.aio.AioRpcError as exc:
        raise from_rpc_error(exc) or exc from None
    assert metadata is not None
    data = b"".join(parts)
    assert metadata.size == len(data)
    return metadata, data


def _pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages)


def _docx_text(data: bytes) -> str:
    document = docx.Document(io.BytesIO(data))
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)


async def _cache_rows(service: Running, application_id: str) -> list:  # type: ignore[type-arg]
    async with service.host.sessions() as session:
        query = select(form_renderings).where(form_renderings.c.application_id == application_id)
        return list((await session.execute(query)).all())


async def test_r_app_5_download_pdf_and_docx_through_the_service_with_the_values(service: Running) -> None:
    form = service.applications.by_id["A1"].form
    pdf_meta, pdf = await _download(service, OWNER, "A1", pb.FORM_FORMAT_PDF)
    docx_meta, word = await _download(service, OWNER, "A1", pb.FORM_FORMAT_DOCX)

    assert pdf_meta.content_type == "application/pdf" and pdf.startswith(b"%PDF")
    assert pdf_meta.filename == f"form-{form.application_number}.pdf"
    assert docx_meta.display_filename == f"教师资格定期注册申请表-{form.application_number}.docx"
    assert pdf_meta.content_hash == docx_meta.content_hash == form.content_hash()
    for value in (form.application_number, form.applicant_name, form.certificate.number,
                  form.arrangement.point_name, form.email):
        assert value in _pdf_text(pdf), value
        assert value in _docx_text(word), value


async def test_r_app_5_download_after_an_edit_has_the_new_value_never_the_old(service: Running) -> None:
    old_email = service.applications.by_id["A1"].form.email
    first_meta, first = await _download(service, OWNER, "A1", pb.FORM_FORMAT_PDF)
    assert old_email in _pdf_text(first)

    # No event is published: the download alone must notice the change.
    service.applications.edit("A1", email="after.the.edit@example.cn")
    second_meta, second = await _download(service, OWNER, "A1", pb.FORM_FORMAT_PDF)

    text = _pdf_text(second)
    assert "after.the.edit@example.cn" in text and old_email not in text
    assert second_meta.content_hash != first_meta.content_hash
    assert second_meta.form_version != first_meta.form_version


async def test_r_app_5_application_events_render_the_pdf_ahead(service: Running) -> None:
    assert await _cache_rows(service, "A1") == []
    connection = await aio_pika.connect_robust(service.settings.amqp_url)
    publisher = Publisher(connection, Topology(service.settings.exchange, service.settings.queue_prefix), "application")
    await publisher.start()

    async def publish(message) -> None:  # type: ignore[no-untyped-def]
        env = envelope.build(message, producer="application", aggregate_id="A1",
                             correlation_id=str(uuid.uuid4()), occurred_at=datetime.now(UTC))
        await publisher.publish(env.SerializeToString(), event_type=env.type, event_id=env.event_id,
                                correlation_id=env.correlation_id)

    try:
        form = service.applications.by_id["A1"].form
        await publish(events_pb2.ApplicationSubmitted(application_id="A1", application_number=form.application_number))
        rows = await wait_for(lambda: _cache_rows(service, "A1"), timeout=20, what="the rendering ahead")
        assert [(r.format, r.content_hash) for r in rows] == [("pdf", form.content_hash())]

        # The status label is printed: a status change renders the form again, under its new hash.
        changed = service.applications.edit("A1", status_label="现场确认通过，等待注册机构审核")
        await publish(events_pb2.ApplicationStatusChanged(application_id="A1", to_status="CONFIRMED"))

        async def rerendered() -> bool:
            return [r.content_hash for r in await _cache_rows(service, "A1")] == [changed.content_hash()]

        await wait_for(rerendered, timeout=20, what="the rendering of the new status")
        metadata, pdf = await _download(service, OWNER, "A1", pb.FORM_FORMAT_PDF)
        assert metadata.content_hash == changed.content_hash() and "现场确认通过" in _pdf_text(pdf)
    finally:
        await publisher.close()
        await connection.close()


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils not installed")
async def test_r_staff_2_the_scanned_code_verifies_and_an_altered_one_does_not(service: Running, tmp_path: Path) -> None:
    _, pdf = await _download(service, OWNER, "A1", pb.FORM_FORMAT_PDF)
    (tmp_path / "form.pdf").write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "100", "-f", "1", "-l", "1", "-png", str(tmp_path / "form.pdf"),
                    str(tmp_path / "page")], check=True)
    page = Image.open(next(tmp_path.glob("page*.png")))
    [scanned] = [r.text for r in zxingcpp.read_barcodes(page) if r.format == zxingcpp.BarcodeFormat.QRCode]

    genuine = await service.stub.VerifyFormCode(pb.VerifyFormCodeRequest(code=scanned), metadata=metadata_for(STAFF_P1))
    form = service.applications.by_id["A1"].form
    assert genuine.genuine and genuine.current
    assert (genuine.application_number, genuine.application_id) == (form.application_number, "A1")

    other_number = service.applications.by_id["A2"].form.application_number
    altered = scanned.replace(form.application_number, other_number)
    answer = await service.stub.VerifyFormCode(pb.VerifyFormCodeRequest(code=altered), metadata=metadata_for(STAFF_P1))
    assert not answer.genuine and answer.application_number == "" and answer.application_id == ""


async def test_r_staff_2_export_the_applicants_of_a_point_as_xlsx(service: Running) -> None:
    call = service.stub.ExportPointApplicants(pb.ExportPointApplicantsRequest(point_code="P1"),
                                              metadata=metadata_for(STAFF_P1))
    messages = [m async for m in call]
    metadata, data = messages[0].metadata, b"".join(m.chunk for m in messages[1:])
    assert metadata.content_type.endswith("spreadsheetml.sheet") and metadata.size == len(data)

    rows = list(openpyxl.load_workbook(io.BytesIO(data)).active.iter_rows(values_only=True))
    numbers = {row[0] for row in rows[1:]}
    assert numbers == {service.applications.by_id[a].form.application_number for a in ("A1", "A2")}
    certificates = {row[3] for row in rows[1:]}
    assert service.applications.by_id["A1"].form.certificate.number in certificates
    for application in service.applications.by_id.values():
        assert application.form.document_number not in str(rows)  # masked only

    with pytest.raises(grpc.aio.AioRpcError) as refused:
        _ = [m async for m in service.stub.ExportPointApplicants(
            pb.ExportPointApplicantsRequest(point_code="P2"), metadata=metadata_for(STAFF_P1))]
    assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED


async def test_r_app_5_another_applicant_gets_not_found_and_staff_in_scope_may_download(service: Running) -> None:
    with pytest.raises(errors.NotFound):
        await _download(service, Actor(subject_id="U2", role=ROLE_APPLICANT), "A1", pb.FORM_FORMAT_PDF)
    with pytest.raises(errors.NotFound):
        await _download(service, OWNER, "NO-SUCH-APPLICATION", pb.FORM_FORMAT_PDF)
    with pytest.raises(errors.PermissionDenied):
        await _download(service, Actor(subject_id="S9", role=ROLE_POINT_STAFF, organisation_code="P2"), "A1",
                        pb.FORM_FORMAT_PDF)
    metadata, _ = await _download(service, ADMIN, "A1", pb.FORM_FORMAT_PDF)
    assert metadata.content_hash == service.applications.by_id["A1"].form.content_hash()
