"""Shared fixtures of the documents unit tests: a fully filled form, a photo, a form-code signer."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime

import pytest
from PIL import Image
from tqr_documents.domain.form import (
    AnnualAssessment,
    ApplicationForm,
    CertificateInfo,
    ConfirmationArrangement,
    CurrentPost,
    WorkHistoryEntry,
)
from tqr_documents.domain.form_code import FormCodeSigner


@pytest.fixture
def photo() -> bytes:
    """A 3:4 portrait JPEG with a distinctive colour, as the registry would store it."""
    out = io.BytesIO()
    Image.new("RGB", (360, 480), (30, 120, 200)).save(out, format="JPEG")
    return out.getvalue()


@pytest.fixture
def form() -> ApplicationForm:
    return ApplicationForm(
        application_number="2026110105000123",
        applicant_name="欧阳淼堃",
        gender="女",
        ethnicity="满族",
        birth_date=date(1986, 4, 23),
        document_type="居民身份证",
        document_number="110105198604231248",
        mobile_masked="139****0721",
        email="oyang.teacher@example.cn",
        certificate=CertificateInfo(
            number="20081100221003456",
            type_name="高级中学教师资格",
            subject="物理",
            issuing_body="北京市朝阳区教育委员会",
            issue_date=date(2008, 7, 15),
        ),
        arrangement=ConfirmationArrangement(
            authority_name="北京市朝阳区教育委员会",
            point_name="朝阳区教师发展中心确认点",
            point_address="北京市朝阳区光华路甲14号",
            window_start=datetime(2026, 4, 7, 1, 0, tzinfo=UTC),
            window_end=datetime(2026, 4, 17, 9, 0, tzinfo=UTC),
        ),
        current_post=CurrentPost(
            school="北京市第八十中学",
            post="物理教研组长",
            teaching_stage="高级中学",
            subject="物理",
            employment_start=date(2019, 9, 1),
        ),
        work_history=(
            WorkHistoryEntry(date(2020, 9, 1), date(2022, 7, 31), "北京市陈经纶中学", "教师"),
            WorkHistoryEntry(date(2022, 8, 1), None, "北京市第八十中学", "物理教研组长"),
        ),
        annual_assessments=(
            AnnualAssessment(2021, "合格"),
            AnnualAssessment(2022, "优秀"),
            AnnualAssessment(2023, "合格"),
            AnnualAssessment(2024, "合格"),
            AnnualAssessment(2025, "基本合格"),
        ),
        ethics_assessment="合格",
        continuing_education_hours=372,
        submitted_at=datetime(2026, 3, 12, 6, 45, tzinfo=UTC),
        status_label="信息提交成功，等待现场确认",
    )


@pytest.fixture
def signer() -> FormCodeSigner:
    return FormCodeSigner({"K2": b"a" * 32, "K3": b"b" * 32}, current_key_id="K3")


# --- the service layer over fakes (an in-memory application service, a SQLite file) ---------------


@pytest.fixture
async def documents(tmp_path, form, signer):  # type: ignore[no-untyped-def]
    """A DocumentsContext over a fake application service holding ``form`` as application A1 of
    applicant U1 (authority 110105, point P1), and an empty point P2 of the same authority."""
    from servicekit import db
    from servicekit.clock import ManualClock
    from tqr_documents.adapters import orm
    from tqr_documents.adapters.cache_cipher import CacheCipher
    from tqr_documents.adapters.form_cache import FormCache
    from tqr_documents.config import DEV_CACHE_KEYS
    from tqr_documents.service_layer.context import DocumentsContext
    from tqr_documents.service_layer.rendered_forms import RenderedForms

    from services.documents.tests.fakes import FakeApplication, FakeApplications, FakeApplicationSource

    engine = db.create_engine(f"sqlite:///{tmp_path / 'documents.sqlite3'}")
    async with engine.begin() as connection:
        await connection.run_sync(orm.metadata.create_all)
    sessions = db.sessionmaker(engine)
    applications = FakeApplications(points={"P2": "110105"})
    applications.add(FakeApplication("A1", "U1", "110105", "P1", form))
    clock = ManualClock()
    cache = FormCache(tmp_path / "files", 64 * 1024 * 1024, CacheCipher.from_config(DEV_CACHE_KEYS))
    forms = RenderedForms(sessions, cache, signer, clock)
    ctx = DocumentsContext(sessions, FakeApplicationSource(applications), forms, signer, clock)
    ctx.applications = applications  # type: ignore[attr-defined]  # tests edit the fake's data
    yield ctx
    forms.close()
    await engine.dispose()
