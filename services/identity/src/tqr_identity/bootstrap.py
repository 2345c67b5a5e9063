"""Composition root of the identity service: the only place that wires parts together."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import grpc
from redis.asyncio import Redis
from servicekit import db
from servicekit.clock import Clock, SystemClock
from servicekit.host import HostParts, ServiceHost
from servicekit.outbox import OutboxWriter
from servicekit.rpc.tls import Callers
from servicekit.scheduler import Job, Scheduler
from servicekit.sealing import Sealer
from sqlalchemy.ext.asyncio import AsyncEngine
from tqr.identity.v1 import identity_pb2_grpc

from tqr_identity.adapters import orm
from tqr_identity.adapters.account_crypto import AccountCrypto
from tqr_identity.adapters.account_repository import AccountRepository
from tqr_identity.adapters.case_repository import CaseRepository
from tqr_identity.adapters.circuit_breaker import CircuitBreaker
from tqr_identity.adapters.crypto.password_hasher import PasswordHasher, PasswordHashSettings
from tqr_identity.adapters.photo_storage import PhotoStorage
from tqr_identity.adapters.real_name import RealNameProvider
from tqr_identity.adapters.real_name_dev import DevRealNameProvider
from tqr_identity.adapters.real_name_http import ClientCertificate, HttpRealNameProvider, RetryPolicy
from tqr_identity.adapters.staff_repository import StaffRepository
from tqr_identity.config import IdentitySettings
from tqr_identity.domain.working_days import WorkingCalendar
from tqr_identity.entrypoints.servicer import IdentityServicer
from tqr_identity.metrics import REAL_NAME_BREAKER_STATE
from tqr_identity.security.human_pass import HumanPassStore
from tqr_identity.security.issue_limit import HumanCheckIssueLimit
from tqr_identity.security.login_throttle import LoginThrottle, LoginThrottlePolicy
from tqr_identity.security.pending_enrolments import PendingEnrolments
from tqr_identity.security.sessions import SessionPolicy, SessionStore
from tqr_identity.security.slider import SliderStore
from tqr_identity.security.support_limits import SupportLimitPolicy, SupportRequestLimits
from tqr_identity.security.text_challenge import TextChallengeStore
from tqr_identity.security.totp import TotpVerifier
from tqr_identity.security.verification_codes import CodePolicy, VerificationCodes
from tqr_identity.service_layer import reviews
from tqr_identity.service_layer.context import IdentityContext, Sealers, SecurityStores

SERVICE = "identity"
SERVICE_NAMES = ["tqr.identity.v1.IdentityService"]
# Over mutual TLS only the gateway calls identity (servicekit.rpc.tls).
CALLERS = Callers({"/tqr.identity.v1.IdentityService/*": {"gateway"}})


def build_hasher(settings: IdentitySettings) -> PasswordHasher:
    return PasswordHasher(PasswordHashSettings(
        memory_cost_kib=settings.argon2_memory_kib, time_cost=settings.argon2_time_cost,
        parallelism=settings.argon2_parallelism, max_concurrent_hashes=settings.argon2_max_concurrent,
    ))


def build_security(settings: IdentitySettings, redis: Redis, clock: Clock) -> SecurityStores:
    prefix = settings.redis_key_prefix
    passes = HumanPassStore(redis, prefix, ttl_seconds=settings.human_pass_ttl_seconds)
    window, lock = timedelta(minutes=settings.login_window_minutes), timedelta(minutes=settings.login_lock_minutes)
    return SecurityStores(
        passes=passes,
        slider=SliderStore(redis, prefix, passes),
        text=TextChallengeStore(redis, prefix, passes),
        codes=VerificationCodes(redis, settings.code_secret.encode(), clock, prefix, CodePolicy(
            validity_seconds=settings.code_validity_seconds,
            max_wrong_attempts=settings.code_max_wrong_attempts,
            resend_cooldown_seconds=settings.code_resend_cooldown_seconds,
            daily_cap_per_destination=settings.code_daily_cap_per_destination,
            daily_cap_per_client=settings.code_daily_cap_per_client,
        )),
        throttle=LoginThrottle(redis, clock, prefix, LoginThrottlePolicy(
            pair_max_failures=settings.login_pair_max_failures, pair_window=window, pair_lock=lock,
            client_max_failures=settings.login_client_max_failures, client_window=window, client_lock=lock,
            account_backoff_after=settings.login_account_backoff_after,
            account_window=timedelta(minutes=settings.login_account_window_minutes),
            account_backoff_max=timedelta(seconds=settings.login_account_backoff_max_seconds),
            known_client_lifetime=timedelta(days=settings.login_known_client_days),
        )),
        sessions=SessionStore(redis, clock, prefix, SessionPolicy(
            idle_timeout=timedelta(minutes=settings.session_idle_minutes),
            absolute_lifetime=timedelta(hours=settings.session_absolute_hours),
        )),
        totp=TotpVerifier(redis, clock, prefix),
        support_limits=SupportRequestLimits(redis, clock, prefix, SupportLimitPolicy(
            per_client=settings.support_anon_daily_per_client,
            per_document=settings.support_anon_daily_per_document,
        )),
        check_issues=HumanCheckIssueLimit(redis, clock, prefix, per_client=settings.human_check_issues_per_client,
                                          window_seconds=settings.human_check_issue_window_seconds),
        enrolments=PendingEnrolments(redis, prefix),
    )


def build_real_name(settings: IdentitySettings, clock: Clock) -> RealNameProvider:
    """The national identity authority the settings name (R-ID-9)."""
    if settings.real_name_provider == "dev":
        return DevRealNameProvider()
    breaker = CircuitBreaker(clock, failure_threshold=settings.real_name_breaker_failures,
                             cool_down=timedelta(seconds=settings.real_name_breaker_cool_down_seconds),
                             on_change=REAL_NAME_BREAKER_STATE.set)
    return HttpRealNameProvider(
        settings.real_name_http_url, settings.real_name_http_api_key, breaker,
        api_key_header=settings.real_name_http_api_key_header,
        retry=RetryPolicy(max_attempts=settings.real_name_http_max_attempts,
                          attempt_deadline_seconds=settings.real_name_http_attempt_seconds,
                          backoff_seconds=settings.real_name_http_backoff_seconds),
        client_certificate=ClientCertificate(settings.real_name_http_client_cert,
                                             settings.real_name_http_client_key, settings.real_name_http_ca),
    )


def build_context(
    settings: IdentitySettings,
    engine: AsyncEngine | None = None,
    *,
    clock: Clock | None = None,
    redis: Redis | None = None,
    real_name: RealNameProvider | None = None,
    hasher: PasswordHasher | None = None,
) -> IdentityContext:
    """The handlers' dependencies; also used by ``seed`` and by tests (with a ManualClock...)."""
    the_clock = clock or SystemClock()
    the_redis = redis or Redis.from_url(settings.redis_url)
    crypto = AccountCrypto.from_settings(
        settings.personal_data_keys, settings.personal_data_primary_key_id, settings.personal_data_index_key
    )
    the_engine = engine or db.engine_for(settings)
    return IdentityContext(
        settings=settings,
        db=db.sessionmaker(the_engine),
        reading_db=db.reading_sessionmaker(the_engine),
        clock=the_clock,
        crypto=crypto,
        accounts=AccountRepository(crypto),
        cases=CaseRepository(crypto),
        staff=StaffRepository(crypto),
        hasher=hasher or build_hasher(settings),
        security=build_security(settings, the_redis, the_clock),
        sealers=Sealers(
            contact=Sealer(settings.sealing_keys, "recipient-contact"),
            code_destination=Sealer(settings.sealing_keys, "code-destination"),
        ),
        events=OutboxWriter(orm.outbox, SERVICE, the_clock),
        photos=PhotoStorage(settings.max_photo_bytes, crypto.cipher),
        real_name=real_name or build_real_name(settings, the_clock),
        calendar=WorkingCalendar.from_config(settings.holidays, settings.makeup_working_days),
    )


# R-STAFF-10: how often overdue manual reviews are looked for (due dates are whole days).
OVERDUE_REVIEWS_EVERY = timedelta(minutes=15)


def build_scheduler(ctx: IdentityContext, settings: IdentitySettings) -> Scheduler:
    """The service's scheduled job (R-STAFF-10), run by one replica per slot; the overdue count is
    refreshed by every replica for its gauge."""
    jobs = [Job("escalate-overdue-reviews", OVERDUE_REVIEWS_EVERY,
                lambda now: reviews.escalate_overdue_reviews(ctx, now))]
    return Scheduler(SERVICE, ctx.db, orm.job_leases, jobs, clock=ctx.clock,
                     poll_seconds=settings.scheduler_poll_seconds, lease_seconds=settings.scheduler_lease_seconds,
                     every_pass=[lambda now: reviews.count_overdue_reviews(ctx, now)])


def build_host(settings: IdentitySettings, **overrides: Any) -> ServiceHost:
    """``overrides`` go to ``build_context`` (clock, redis, real_name, hasher) for tests."""
    engine = db.engine_for(settings)
    redis: Redis = overrides.pop("redis", None) or Redis.from_url(settings.redis_url)
    ctx = build_context(settings, engine, redis=redis, **overrides)
    scheduler = build_scheduler(ctx, settings)

    def register(server: grpc.aio.Server) -> None:
        identity_pb2_grpc.add_IdentityServiceServicer_to_server(IdentityServicer(ctx), server)

    async def close() -> None:
        ctx.hasher.close()
        if isinstance(ctx.real_name, HttpRealNameProvider):
            await ctx.real_name.aclose()
        await redis.aclose()

    parts = HostParts(
        callers=CALLERS,
        name=SERVICE,
        engine=engine,
        register=[register],
        service_names=SERVICE_NAMES,
        outbox=orm.outbox,
        inbox=orm.inbox,
        on_start=[scheduler.start],
        on_stop=[scheduler.stop, close],
    )
    host = ServiceHost(settings, parts)
    ctx.after_commit = host.nudge_relay
    host.context = ctx  # type: ignore[attr-defined]  # tests reach the handlers' context through the host
    host.scheduler = scheduler  # type: ignore[attr-defined]  # and run its jobs with their clock
    return host
