"""The real application service in-process (gRPC on port 0, real database and broker), a ManualClock
injected into the host, a small reference data set and helpers that drive the wizard over gRPC."""

from __future__ import annotations

import base64
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aio_pika
import grpc
import pytest
import testkit
import tqr_application
from google.protobuf.timestamp_pb2 import Timestamp
from servicekit import errors, migrations
from servicekit.clock import ManualClock
from servicekit.rpc.errors import from_rpc_error
from sqlalchemy import func, select
from testkit.actors import metadata_for
from tqr.application.v1 import (
    application_pb2_grpc,
    applications_pb2_grpc,
    form_pb2_grpc,
    plans_pb2,
    plans_pb2_grpc,
    staff_pb2_grpc,
    views_pb2,
    wizard_pb2,
    wizard_pb2_grpc,
)
from tqr.common.v1.actor_pb2 import Actor
from tqr.common.v1.vocabulary_pb2 import GENDER_FEMALE, ROLE_APPLICANT, DocumentType, Role
from tqr_application.adapters import orm
from tqr_application.bootstrap import build_host
from tqr_application.config import ApplicationSettings
from tqr_application.reference_data import ReferenceKind
from tqr_application.reference_data.demo_photos import silhouette_png
from tqr_application.service_layer.reference import import_batch

MIGRATIONS = Path(tqr_application.__file__).parent / "migrations"
START = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)  # 10:00 in Beijing
DAY = timedelta(days=1)

# Authorities: 110108 open plan (points 11010801 open now, 11010802 later, 11010803 unplanned);
# 110105 open plan (point 11010501); 110101 no plan; 110102 open plan without points;
# 110106 plan not yet open; 110107 plan closed.
REGISTRY_CERTIFICATE = "20101100122000017"
REGISTRY_DOCUMENT = "11010519491231002X"  # the worked example of GB 11643 itself
PHOTO = silhouette_png()


def reference_files() -> dict[ReferenceKind, str]:
    photo = base64.b64encode(PHOTO).decode()
    counties = ["110108", "110105", "110101", "110102", "110106", "110107"]
    return {
        ReferenceKind.REGIONS: "code,name,level,parent_code\n110000,北京市,PROVINCE,\n110100,市辖区,CITY,110000\n"
        + "".join(f"{c},区{c},COUNTY,110100\n" for c in counties),
        ReferenceKind.AUTHORITIES: "code,name,region_code,address,phone\n"
        + "".join(f"{c},区{c}教育委员会,{c},北京市路{c}号,010-6000{c[-2:]}\n" for c in counties),
        ReferenceKind.CONFIRMATION_POINTS: "code,authority_code,name,address,phone,scope\n"
        "11010801,110108,海淀一号确认点,北京市海淀区学府路1号,010-61000001,公办学校教师\n"
        "11010802,110108,海淀二号确认点,北京市海淀区学府路2号,010-61000002,民办学校教师\n"
        "11010803,110108,海淀三号确认点,北京市海淀区学府路3号,010-61000003,其他\n"
        "11010501,110105,朝阳确认点,北京市朝阳区路1号,010-62000001,全部\n"
        "11010201,110102,西城确认点,北京市西城区路1号,010-63000001,全部\n",
        ReferenceKind.TEACHING_STAGES: "code,name\nPRIMARY,小学\nJUNIOR_SECONDARY,初级中学\n",
        ReferenceKind.SUBJECTS: "code,name\nMATH,数学\nCHINESE,语文\nNONE,无\n",
        ReferenceKind.CERTIFICATE_TYPES: "code,name\nPRIMARY,小学教师资格\nJUNIOR_SECONDARY,初级中学教师资格\n",
        ReferenceKind.REGISTRY_CERTIFICATES: (
            "certificate_number,holder_name,document_type,document_number,certificate_type_code,subject_code,"
            "issuing_body,issue_date,gender,birth_date,province_code,photo_png_base64\n"
            f"{REGISTRY_CERTIFICATE},王小明,ID_CARD,{REGISTRY_DOCUMENT},PRIMARY,MATH,北京市海淀区教育委员会,"
            f"2010-07-01,F,1949-12-31,110000,{photo}\n"),
    }


def ts(instant: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(instant)
    return stamp


def staff(role: str, org: str, subject: str = "") -> Actor:
    return Actor(subject_id=subject or f"{role.lower()}-{org}", role=Role.Value(f"ROLE_{role}"), organisation_code=org)


@dataclass
class Applicant:
    actor: Actor
    identity: views_pb2.ApplicantIdentity


def new_applicant(document: str = "", verified: bool = True, name: str = "李老师",
                  document_type: str = "ID_CARD") -> Applicant:
    account = f"acct-{uuid.uuid4().hex[:10]}"
    number = document or f"11010519900105{uuid.uuid4().int % 10**4:04d}"  # born 1990-01-05
    return Applicant(Actor(subject_id=account, role=ROLE_APPLICANT), views_pb2.ApplicantIdentity(
        account_id=account, name=name, document_type=DocumentType.Value(f"DOCUMENT_TYPE_{document_type}"),
        document_number=number,
        real_name_verified=verified,
        gender=GENDER_FEMALE, birth_date="1990-01-05", ethnicity="汉族", mobile_masked="138****5678"))


def born(document_number: str) -> str:
    """The birth date an 18-character ID number carries (what the certificate should say); a permit
    carries none, and its holder was born on new_applicant's identity date."""
    if len(document_number) != 18:
        return "1990-01-05"
    digits = document_number[6:14]
    return f"{digits[:4]}-{digits[4:6]}-{digits[6:]}"


def materials(**overrides: Any) -> views_pb2.Materials:
    values: dict[str, Any] = dict(
        email="teacher@example.cn", school="海淀实验小学", post="教师", employment_start="2015-09-01",
        work_history=[views_pb2.WorkHistoryEntry(start="2015-09-01", end="", school="海淀实验小学", post="教师")],
        annual_assessments=[views_pb2.AnnualAssessment(year=y, result="合格") for y in range(2021, 2026)],
        ethics_assessment="合格", continuing_education_hours=400)
    values.update(overrides)
    return views_pb2.Materials(**values)


def refusal(caught: pytest.ExceptionInfo[grpc.aio.AioRpcError]) -> errors.ServiceError:
    found = from_rpc_error(caught.value)
    assert found is not None, caught.value
    return found


@dataclass
class App:
    host: Any
    clock: ManualClock
    channel: grpc.aio.Channel
    reference: Any = None
    plans: Any = None
    wizard: Any = None
    applicant: Any = None
    staff: Any = None
    form: Any = None
    plan_ids: dict[str, str] = field(default_factory=dict)
    listener: Any = None

    async def published(self, event_type: str, aggregate_id: str, timeout: float = 10) -> int:
        """Wait for the relay to publish; how many rows of that type for that aggregate went out."""
        t = orm.outbox
        where = (t.c.event_type == f"tqr.application.v1.{event_type}", t.c.aggregate_id == aggregate_id)

        async def all_out() -> bool:
            return await self.count(t, *where, t.c.published_at.is_(None)) == 0

        await testkit.wait_for(all_out, timeout=timeout, what="outbox relay")
        return await self.count(t, *where)

    @property
    def ctx(self) -> Any:
        return self.host.context

    async def call(self, method: Callable[..., Awaitable[Any]], request: Any, actor: Actor) -> Any:
        return await method(request, metadata=metadata_for(actor), timeout=20)

    async def refused(self, method: Callable[..., Awaitable[Any]], request: Any, actor: Actor) -> errors.ServiceError:
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await self.call(method, request, actor)
        return refusal(caught)

    async def count(self, table: Any, *where: Any) -> int:
        async with self.ctx.sessions() as session:
            return int(await session.scalar(select(func.count()).select_from(table).where(*where)) or 0)

    async def events(self, event_type: str, aggregate_id: str | None = None) -> int:
        where = [orm.outbox.c.event_type == f"tqr.application.v1.{event_type}"]
        if aggregate_id:
            where.append(orm.outbox.c.aggregate_id == aggregate_id)
        return await self.count(orm.outbox, *where)

    async def start_wizard(self, who: Applicant) -> Any:
        return await self.call(self.wizard.StartApplication, wizard_pb2.StartApplicationRequest(identity=who.identity),
                               who.actor)

    async def save(self, who: Applicant, **step: Any) -> Any:
        return await self.call(self.wizard.SaveWizardStep, wizard_pb2.SaveWizardStepRequest(**step), who.actor)

    async def fill_until_point(self, who: Applicant, *, certificate: str = "", authority: str = "110108") -> None:
        await self.start_wizard(who)
        self.clock.advance(seconds=4)
        await self.save(who, must_read=wizard_pb2.MustReadStep())
        await self.save(who, terms=wizard_pb2.TermsStep(accept=True))
        number = certificate or f"2015110{uuid.uuid4().int % 10**10:010d}"
        await self.save(who, certificate_lookup=wizard_pb2.CertificateLookupStep(
            certificate_number=number, document_number=who.identity.document_number))
        await self.save(who, certificate_details=wizard_pb2.CertificateDetailsStep(
            holder_name=who.identity.name, certificate_type_code="PRIMARY", subject_code="MATH", gender=GENDER_FEMALE,
            birth_date=born(who.identity.document_number),
            issuing_body="北京市海淀区教育委员会", issue_date="2015-07-01", authority_code=authority,
            teaching_stage_code="PRIMARY", teaching_subject_code="MATH"))

    async def submit_new(self, who: Applicant | None = None, *, point: str = "11010801", authority: str = "110108",
                         certificate: str = "", key: str = "") -> wizard_pb2.SubmitApplicationResponse:
        who = who or new_applicant()
        await self.fill_until_point(who, certificate=certificate, authority=authority)
        return await self.submit_from_point(who, point=point, key=key)

    async def submit_from_point(self, who: Applicant, *, point: str = "11010801",
                                key: str = "") -> wizard_pb2.SubmitApplicationResponse:
        await self.save(who, point=wizard_pb2.PointStep(point_code=point))
        await self.save(who, notes=wizard_pb2.NotesStep(read=True))
        await self.save(who, materials=wizard_pb2.MaterialsStep(materials=materials()))
        return await self.call(self.wizard.SubmitApplication, wizard_pb2.SubmitApplicationRequest(
            idempotency_key=key or uuid.uuid4().hex, identity=who.identity), who.actor)


async def _create_plans(app: App) -> None:
    admin = staff("AUTHORITY_ADMIN", "110108")
    window = plans_pb2.PointWindowInput
    specs = {
        "110108": (START - DAY, START + 10 * DAY, [window(point_code="11010801", confirm_start=ts(START - DAY),
                                                         confirm_end=ts(START + 5 * DAY)),
                                                  window(point_code="11010802", confirm_start=ts(START + DAY),
                                                         confirm_end=ts(START + 20 * DAY))]),
        "110105": (START - DAY, START + 10 * DAY, [window(point_code="11010501", confirm_start=ts(START - DAY),
                                                         confirm_end=ts(START + 20 * DAY))]),
        "110102": (START - DAY, START + 10 * DAY, []),
        "110106": (START + 5 * DAY, START + 15 * DAY, []),
        "110107": (START - 30 * DAY, START - 10 * DAY, []),
    }
    for code, (start, end, points) in specs.items():
        admin = staff("AUTHORITY_ADMIN", code)
        reply = await app.call(app.plans.CreatePlan, plans_pb2.CreatePlanRequest(
            authority_code=code, name="2026年定期注册", online_start=ts(start), online_end=ts(end), points=points),
            admin)
        app.plan_ids[code] = reply.plan.plan_id


async def _start(url: str, amqp_url: str, queue_prefix: str, **settings_: Any) -> AsyncIterator[App]:
    """``settings_``: more ApplicationSettings (the database pool, the pooler in front)."""
    migrations.upgrade(MIGRATIONS, url)
    settings = ApplicationSettings(grpc_port=0, metrics_port=-1, database_url=url, amqp_url=amqp_url,
                                   queue_prefix=queue_prefix, exchange=f"{queue_prefix}events", drain_seconds=0,
                                   shutdown_grace_seconds=1, outbox_poll_seconds=0.2,
                                   scheduler_poll_seconds=0, **settings_)  # tests run the jobs
    clock = ManualClock(START)
    host = build_host(settings, clock=clock)
    async with host.context.transaction() as session:
        result = await import_batch(session, host.context, reference_files())
        assert result.ok, result.errors
    # A queue bound to every application event, standing in for the consumers of other services
    # (publishes are mandatory: with no queue bound they would stay in the outbox).
    bus = await aio_pika.connect_robust(amqp_url)
    bus_channel = await bus.channel()
    exchange = await bus_channel.declare_exchange(settings.exchange, aio_pika.ExchangeType.TOPIC, durable=True)
    listener = await bus_channel.declare_queue(f"{queue_prefix}listener", auto_delete=True)
    await listener.bind(exchange, "tqr.application.v1.#")
    await host.start()
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{host.port}")
    app = App(host=host, clock=clock, channel=channel, listener=listener,
              reference=application_pb2_grpc.ReferenceDataServiceStub(channel),
              plans=plans_pb2_grpc.PlanServiceStub(channel), wizard=wizard_pb2_grpc.WizardServiceStub(channel),
              applicant=applications_pb2_grpc.ApplicantServiceStub(channel),
              staff=staff_pb2_grpc.StaffServiceStub(channel), form=form_pb2_grpc.FormDataServiceStub(channel))
    try:
        await _create_plans(app)
        yield app
    finally:
        await channel.close()
        await host.stop()
        await bus.close()


@pytest.fixture
async def app(pg_url: str, amqp_url: str, queue_prefix: str) -> AsyncIterator[App]:
    async for running in _start(pg_url, amqp_url, queue_prefix):
        yield running


@pytest.fixture
async def sqlite_app(sqlite_url: str, amqp_url: str, queue_prefix: str) -> AsyncIterator[App]:
    async for running in _start(sqlite_url, amqp_url, queue_prefix):
        yield running


@pytest.fixture
async def any_app(db_url: str, amqp_url: str, queue_prefix: str) -> AsyncIterator[App]:
    """The service on SQLite, then on PostgreSQL."""
    async for running in _start(db_url, amqp_url, queue_prefix):
        yield running


def full_width(typed: str) -> str:
    """What a Chinese input method types: ``２０１５ＡＢ`` for ``2015AB`` (R-WIZ-11)."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in typed)


@pytest.fixture
def h() -> Any:
    """This module's helpers (test modules cannot import conftest under --import-mode=importlib)."""
    import sys

    return sys.modules[__name__]
