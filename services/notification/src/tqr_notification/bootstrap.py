"""Composition root of the notification service: the only place that wires parts together."""

from __future__ import annotations

import grpc
from redis.asyncio import Redis
from servicekit import db
from servicekit.clock import Clock, SystemClock
from servicekit.host import HostParts, ServiceHost
from servicekit.rpc.tls import Callers
from tqr.notification.v1 import notification_pb2_grpc

from tqr_notification.adapters import orm
from tqr_notification.adapters.sealing import Sealers
from tqr_notification.adapters.senders import ChannelSenders
from tqr_notification.channels.email import SmtpEmailSender, SmtpSettings
from tqr_notification.channels.redis_recipient_limit import RedisRecipientLimiter
from tqr_notification.channels.sms import DevSmsProvider, HttpSmsProvider, SmsProvider
from tqr_notification.config import NotificationSettings
from tqr_notification.domain.recipient_limit import LimitRule, RecipientLimitPolicy
from tqr_notification.domain.retry import RetryPolicy
from tqr_notification.entrypoints.dev_outbox_servicer import DevOutboxServicer
from tqr_notification.entrypoints.dev_smtp_sink import DevSmtpSinkHook
from tqr_notification.entrypoints.inbox_servicer import InboxServicer
from tqr_notification.service_layer.context import NotificationContext
from tqr_notification.service_layer.dispatcher import Dispatcher
from tqr_notification.service_layer.event_handlers import build_subscriptions

SERVICE = "notification"
SERVICE_NAMES = ["tqr.notification.v1.InboxService"]
DEV_SERVICE_NAMES = ["tqr.notification.v1.DevOutboxService"]
# Over mutual TLS only the gateway calls notification (servicekit.rpc.tls); the development outbox
# is served in development only, to the gateway's /dev/outbox page.
CALLERS = Callers({"/tqr.notification.v1.InboxService/*": {"gateway"},
                   "/tqr.notification.v1.DevOutboxService/*": {"gateway"}})


def _provider(kind: str, url: str, api_key: str, outbox_dir: str, channel: str, clock: Clock) -> SmsProvider:
    if kind == "http":
        return HttpSmsProvider(url, api_key)
    return DevSmsProvider(outbox_dir, channel=channel, clock=clock)


def build_senders(settings: NotificationSettings, clock: Clock, *, sms: SmsProvider | None = None,
                  alternative: SmsProvider | None = None) -> ChannelSenders:
    smtp = SmtpSettings(
        host=settings.smtp_host, port=settings.smtp_port, from_address=settings.mail_from_address,
        from_name=settings.mail_from_name, starttls=settings.smtp_starttls, use_tls=settings.smtp_implicit_tls,
        username=settings.smtp_username or None, password=settings.smtp_password or None,
        timeout_seconds=settings.smtp_timeout_seconds, validate_certs=settings.smtp_validate_certs,
    )
    sms = sms or _provider(settings.sms_provider, settings.sms_http_url, settings.sms_http_api_key,
                           settings.outbox_dir, "sms", clock)
    alternative = alternative or _provider(
        settings.alternative_provider, settings.alternative_http_url, settings.alternative_http_api_key,
        settings.outbox_dir, "alternative", clock,
    )
    return ChannelSenders(
        email=SmtpEmailSender(smtp, clock), sms=sms, alternative=alternative,
        mail_domain=settings.mail_from_address.partition("@")[2] or "localhost", closers=[sms, alternative],
    )


def build_host(
    settings: NotificationSettings,
    clock: Clock | None = None,
    *,
    sms_provider: SmsProvider | None = None,
    alternative_provider: SmsProvider | None = None,
) -> ServiceHost:
    """The service process; tests pass their own clock or SMS providers."""
    the_clock = clock or SystemClock()
    engine = db.engine_for(settings)
    nctx = NotificationContext(
        sessions=db.sessionmaker(engine),
        reading_sessions=db.reading_sessionmaker(engine),
        clock=the_clock,
        sealers=Sealers.from_keys(settings.sealing_keys, settings.field_keys),
        recipient_hmac_key=settings.recipient_hmac_key.encode(),
        site_url=settings.site_url,
    )
    redis = Redis.from_url(settings.redis_url)
    limiter = RedisRecipientLimiter(
        redis, settings.recipient_hmac_key.encode(), the_clock,
        RecipientLimitPolicy(
            general=LimitRule(settings.recipient_limit_max_messages, settings.recipient_limit_window_seconds),
            codes=LimitRule(settings.code_limit_max_messages, settings.code_limit_window_seconds),
        ),
        key_prefix=settings.redis_key_prefix,
    )
    dispatcher = Dispatcher(
        nctx,
        build_senders(settings, the_clock, sms=sms_provider, alternative=alternative_provider),
        limiter,
        policy=RetryPolicy(settings.retry_max_attempts, settings.retry_base_seconds, settings.retry_cap_seconds),
        concurrency=settings.dispatch_concurrency,
        poll_seconds=settings.dispatch_poll_seconds,
        lease_seconds=settings.dispatch_lease_seconds,
        skip_locked=not db.is_sqlite(settings.database_url),
        low_concurrency=settings.broadcast_concurrency,
        low_rate=settings.broadcast_rate_per_second,
    )
    nctx.wake_dispatcher = dispatcher.wake

    # The development outbox holds codes in clear: outside development the call does not exist.
    serves_dev_outbox = settings.environment == "development"

    def register(server: grpc.aio.Server) -> None:
        notification_pb2_grpc.add_InboxServiceServicer_to_server(InboxServicer(nctx), server)
        if serves_dev_outbox:
            notification_pb2_grpc.add_DevOutboxServiceServicer_to_server(
                DevOutboxServicer(settings.outbox_dir), server)

    async def stop_dispatcher() -> None:
        await dispatcher.stop(settings.shutdown_grace_seconds)
        await redis.aclose()

    on_start = [dispatcher.start]
    on_stop = [stop_dispatcher]
    sink: DevSmtpSinkHook | None = None
    if settings.runs_dev_smtp_sink:
        # Started before the dispatcher and stopped after it (the host stops hooks in reverse).
        sink = DevSmtpSinkHook(settings.smtp_host, settings.smtp_port, settings.outbox_dir)
        on_start.insert(0, sink.start)
        on_stop.insert(0, sink.stop)
    parts = HostParts(
        callers=CALLERS,
        name=SERVICE,
        engine=engine,
        register=[register],
        service_names=SERVICE_NAMES + (DEV_SERVICE_NAMES if serves_dev_outbox else []),
        inbox=orm.inbox,
        subscriptions=build_subscriptions(nctx),
        on_start=on_start,
        on_stop=on_stop,
    )
    host = ServiceHost(settings, parts)
    # Tests reach the development sink through the host.
    host.dev_smtp_sink = sink  # type: ignore[attr-defined]
    return host
