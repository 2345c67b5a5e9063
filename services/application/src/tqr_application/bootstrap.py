"""Composition root of the application service: the only place that wires parts together."""

from __future__ import annotations

from datetime import timedelta

import grpc
from servicekit import db
from servicekit.clock import Clock, SystemClock
from servicekit.host import HostParts, ServiceHost
from servicekit.outbox import OutboxWriter
from servicekit.rpc.tls import Callers
from servicekit.scheduler import Job, Scheduler
from sqlalchemy.ext.asyncio import AsyncEngine
from tqr.application.v1 import (
    application_pb2_grpc,
    applications_pb2_grpc,
    broadcast_pb2_grpc,
    dashboard_pb2_grpc,
    form_pb2_grpc,
    plans_pb2_grpc,
    public_pb2_grpc,
    slots_pb2_grpc,
    staff_pb2_grpc,
    wizard_pb2_grpc,
)

from tqr_application.adapters import orm
from tqr_application.adapters.personal_data import DocumentNumberCipher
from tqr_application.config import ApplicationSettings
from tqr_application.entrypoints.applicant_servicer import ApplicantServicer
from tqr_application.entrypoints.broadcast_servicer import BroadcastServicer
from tqr_application.entrypoints.dashboard_servicer import StaffDashboardServicer
from tqr_application.entrypoints.form_servicer import FormDataServicer
from tqr_application.entrypoints.plan_servicer import PlanServicer
from tqr_application.entrypoints.public_servicer import PublicResultServicer
from tqr_application.entrypoints.reference_servicer import ReferenceDataServicer
from tqr_application.entrypoints.slot_servicer import AppointmentServicer
from tqr_application.entrypoints.staff_servicer import StaffServicer
from tqr_application.entrypoints.wizard_servicer import WizardServicer
from tqr_application.service_layer import deadlines, slots
from tqr_application.service_layer.context import ServiceContext

SERVICE = "application"
SERVICE_NAMES = [
    "tqr.application.v1.ReferenceDataService",
    "tqr.application.v1.PlanService",
    "tqr.application.v1.WizardService",
    "tqr.application.v1.ApplicantService",
    "tqr.application.v1.StaffService",
    "tqr.application.v1.FormDataService",
    "tqr.application.v1.PublicResultService",
    "tqr.application.v1.AppointmentService",
    "tqr.application.v1.BroadcastService",
    "tqr.application.v1.StaffDashboardService",
]
# Over mutual TLS, who calls what (servicekit.rpc.tls): the gateway everything a person does; the
# documents service only the form data (as itself, SYSTEM), the points of an authority, and the
# staff reads it makes for the staff member whose request it serves.
_PEOPLE = {"gateway"}
CALLERS = Callers({
    **{f"/{name}/*": _PEOPLE for name in SERVICE_NAMES if not name.endswith("FormDataService")},
    "/tqr.application.v1.FormDataService/*": {"documents"},
    "/tqr.application.v1.ReferenceDataService/ListConfirmationPoints": {"gateway", "documents"},
    "/tqr.application.v1.StaffService/GetApplicationForStaff": {"gateway", "documents"},
    "/tqr.application.v1.StaffService/SearchApplications": {"gateway", "documents"},
})


def build_context(settings: ApplicationSettings, engine: AsyncEngine | None = None,
                  clock: Clock | None = None) -> ServiceContext:
    """The handlers' dependencies; also used by the CLI commands (import-reference, seed)."""
    real_engine = engine or db.engine_for(settings)
    the_clock = clock or SystemClock()
    return ServiceContext(
        sessions=db.sessionmaker(real_engine),
        autocommit_sessions=db.autocommit_sessionmaker(real_engine),
        reading_sessions=db.reading_sessionmaker(real_engine),
        clock=the_clock,
        cipher=DocumentNumberCipher(settings.field_keys, settings.blind_index_key),
        events=OutboxWriter(orm.outbox, SERVICE, the_clock),
        settings=settings,
    )


def build_scheduler(ctx: ServiceContext) -> Scheduler:
    """The service's scheduled jobs (R-APP-9; R-SLOT-1's abandoned bookings), each run by one replica per slot."""
    settings, every = ctx.settings, timedelta(seconds=ctx.settings.deadline_jobs_every_seconds)
    jobs = [
        Job("expire-unconfirmed", every, lambda now: deadlines.expire_unconfirmed(ctx, now)),
        Job("deadline-reminders", every, lambda now: deadlines.send_reminders(ctx, now)),
        Job("abandoned-bookings", every, lambda now: slots.release_abandoned_bookings(ctx, now)),
    ]
    return Scheduler(SERVICE, ctx.sessions, orm.job_leases, jobs, clock=ctx.clock,
                     poll_seconds=settings.scheduler_poll_seconds, lease_seconds=settings.scheduler_lease_seconds)


def build_host(settings: ApplicationSettings, clock: Clock | None = None) -> ServiceHost:
    engine = db.engine_for(settings)
    ctx = build_context(settings, engine, clock)
    scheduler = build_scheduler(ctx)

    def register(server: grpc.aio.Server) -> None:
        application_pb2_grpc.add_ReferenceDataServiceServicer_to_server(ReferenceDataServicer(ctx), server)
        plans_pb2_grpc.add_PlanServiceServicer_to_server(PlanServicer(ctx), server)
        wizard_pb2_grpc.add_WizardServiceServicer_to_server(WizardServicer(ctx), server)
        applications_pb2_grpc.add_ApplicantServiceServicer_to_server(ApplicantServicer(ctx), server)
        staff_pb2_grpc.add_StaffServiceServicer_to_server(StaffServicer(ctx), server)
        form_pb2_grpc.add_FormDataServiceServicer_to_server(FormDataServicer(ctx), server)
        public_pb2_grpc.add_PublicResultServiceServicer_to_server(PublicResultServicer(ctx), server)
        slots_pb2_grpc.add_AppointmentServiceServicer_to_server(AppointmentServicer(ctx), server)
        broadcast_pb2_grpc.add_BroadcastServiceServicer_to_server(BroadcastServicer(ctx), server)
        dashboard_pb2_grpc.add_StaffDashboardServiceServicer_to_server(StaffDashboardServicer(ctx), server)

    parts = HostParts(
        callers=CALLERS,
        name=SERVICE,
        engine=engine,
        register=[register],
        service_names=SERVICE_NAMES,
        outbox=orm.outbox,
        inbox=orm.inbox,
        on_start=[scheduler.start],
        on_stop=[scheduler.stop],
    )
    host = ServiceHost(settings, parts)
    ctx.after_commit = host.nudge_relay
    host.context = ctx  # type: ignore[attr-defined]  # tests reach the handlers' context through the host
    host.scheduler = scheduler  # type: ignore[attr-defined]  # and run its jobs with their clock
    return host
