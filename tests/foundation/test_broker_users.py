"""The bus believes no publisher it should not: each service's own broker user (made by
``servicekit.broker_users`` from the table in ``servicekit.bus.access``) may publish only its own
events and read only its own queue — refused by RabbitMQ itself — and a consumer parks an event
whose envelope does not come from the producer of its type."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import aio_pika
import pytest
import testkit
from aiormq.exceptions import ChannelAccessRefused
from prometheus_client import REGISTRY
from servicekit import broker_users, db, envelope
from servicekit.bus.access import role
from servicekit.bus.consumer import Consumer, EventContext, Subscription, subscriptions
from servicekit.bus.publisher import Publisher
from servicekit.bus.topology import Topology, declare_consumer_queue
from servicekit.dlq import drain
from servicekit.outbox import OutboxRelay
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from testkit import wait_for
from tqr.application.v1.events_pb2 import ApplicationStatusChanged
from tqr.identity.v1.events_pb2 import AccountRegistered

from tests.foundation import harness

pytestmark = pytest.mark.broker


@pytest.fixture
def topology(queue_prefix: str) -> Topology:
    return Topology(exchange=f"{queue_prefix}events", queue_prefix=queue_prefix)


@pytest.fixture(scope="module")
def users(amqp_url: str) -> Iterator[dict[str, str]]:
    """Every role's own user on the run's vhost, made once for the module (rabbitmqctl is slow)."""
    with testkit.broker_logins(amqp_url, Topology()) as urls:
        yield urls


@pytest.fixture
def logins(users: dict[str, str], topology: Topology) -> dict[str, str]:
    """role → AMQP URL of its own user, with the rights of the table for this test's exchange and
    queues (made again by the same command, as make run does at every start)."""
    broker_users.apply([broker_users.Login.from_url(role(name), url) for name, url in users.items()], topology)
    return users


@pytest.fixture
async def connect() -> AsyncIterator:  # type: ignore[type-arg]
    opened: list[aio_pika.abc.AbstractRobustConnection] = []

    async def open_(url: str) -> aio_pika.abc.AbstractRobustConnection:
        connection = await aio_pika.connect_robust(url)
        opened.append(connection)
        return connection

    yield open_
    for connection in opened:
        await connection.close()


def _status_changed() -> bytes:
    event = ApplicationStatusChanged(application_id="A-1", from_status="SUBMITTED", to_status="REJECTED")
    return _envelope(event, "application")


def _envelope(message, producer: str) -> bytes:  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime

    return envelope.build(message, producer=producer, aggregate_id="agg", correlation_id=uuid.uuid4().hex,
                          occurred_at=datetime.now(UTC)).SerializeToString()


async def _observer(connect, amqp_url: str, topology: Topology, event_type: str) -> aio_pika.abc.AbstractQueue:
    """A queue of the administrator's (guest) bound to ``event_type``: what reaches the exchange."""
    channel = await (await connect(amqp_url)).channel()
    exchange = await channel.declare_exchange(topology.exchange, aio_pika.ExchangeType.TOPIC, durable=True)
    queue = await channel.declare_queue(f"{topology.queue_prefix}observer-{uuid.uuid4().hex[:6]}", exclusive=True)
    await queue.bind(exchange, routing_key=event_type)
    return queue


async def _publish(connect, url: str, topology: Topology, producer: str, body: bytes, event_type: str) -> str:
    publisher = Publisher(await connect(url), topology, producer)
    await publisher.start()
    event_id = uuid.uuid4().hex
    await publisher.publish(body, event_type=event_type, event_id=event_id, correlation_id="c", timeout=10)
    return event_id


# --- the broker refuses what a user may not do ---------------------------------------------------

STATUS_CHANGED = "tqr.application.v1.ApplicationStatusChanged"


async def test_the_notification_user_cannot_publish_a_status_change(logins, connect, amqp_url, topology):
    observed = await _observer(connect, amqp_url, topology, STATUS_CHANGED)
    with pytest.raises(ChannelAccessRefused, match="ACCESS_REFUSED"):
        await _publish(connect, logins["notification"], topology, "application", _status_changed(), STATUS_CHANGED)
    # The broker's own user publishes one after it: the first message to arrive is that one.
    allowed = await _publish(connect, amqp_url, topology, "application", _status_changed(), STATUS_CHANGED)
    first = await wait_for(lambda: observed.get(fail=False, no_ack=True), what="a message on the exchange")
    assert first.message_id == allowed


@pytest.mark.parametrize("service", ["identity", "documents", "dlq-replay"])
async def test_no_other_user_can_publish_an_application_event_either(logins, connect, topology, service):
    with pytest.raises(ChannelAccessRefused, match="ACCESS_REFUSED"):
        await _publish(connect, logins[service], topology, "application", _status_changed(), "tqr.application.v1.MessagePosted")


async def test_the_application_user_may_publish_a_status_change(logins, connect, amqp_url, topology):
    observed = await _observer(connect, amqp_url, topology, STATUS_CHANGED)
    published = await _publish(connect, logins["application"], topology, "application", _status_changed(), STATUS_CHANGED)
    received = await wait_for(lambda: observed.get(fail=False, no_ack=True), what="the status change")
    assert received.message_id == published


async def test_the_application_user_cannot_publish_an_identity_event(logins, connect, topology):
    with pytest.raises(ChannelAccessRefused, match="ACCESS_REFUSED"):
        await _publish(connect, logins["application"], topology, "identity",
                       _envelope(AccountRegistered(account_id="x"), "identity"), "tqr.identity.v1.PasswordChanged")


@pytest.mark.parametrize("reader", ["notification", "application", "identity"])
async def test_a_user_cannot_read_another_services_queue(logins, connect, topology, reader):
    owner = await (await connect(logins["documents"])).channel()
    await declare_consumer_queue(owner, topology, "documents", [STATUS_CHANGED], delivery_limit=3)
    channel = await (await connect(logins[reader])).channel()
    with pytest.raises(ChannelAccessRefused, match="ACCESS_REFUSED"):
        queue = await channel.get_queue(topology.queue_name("documents"), ensure=False)
        await queue.get(fail=False)


async def test_a_consumer_cannot_bind_its_queue_to_events_it_does_not_consume(logins, connect, topology):
    """Binding is reading: documents would otherwise receive identity's events (sealed contacts,
    verification codes) by binding its own queue to them."""
    channel = await (await connect(logins["documents"])).channel()
    with pytest.raises(ChannelAccessRefused, match="ACCESS_REFUSED"):
        await declare_consumer_queue(channel, topology, "documents", ["tqr.identity.v1.VerificationCodeRequested"], 3)


# --- each service does its own part with its own user ---------------------------------------------

@dataclass
class Rig:
    sessions: async_sessionmaker[AsyncSession]
    consumer: Consumer
    topology: Topology


async def _record(ctx: EventContext, event) -> None:  # type: ignore[no-untyped-def]
    name = getattr(event, "name", "") or getattr(event, "application_id", "")
    await ctx.session.execute(harness.effects.insert().values(
        event_id=ctx.envelope.event_id, name=name, correlation_id=ctx.envelope.correlation_id))


@pytest.fixture
async def notification(logins, connect, sqlite_url, topology) -> AsyncIterator[Rig]:
    """A consumer playing notification, with notification's user: it takes AccountRegistered and
    ApplicationStatusChanged and records each one it applies."""
    engine = await harness.create_schema(sqlite_url)
    sessions = db.sessionmaker(engine)
    registry = subscriptions(Subscription(AccountRegistered, _record), Subscription(ApplicationStatusChanged, _record))
    consumer = Consumer(service="notification", connection=await connect(logins["notification"]), topology=topology,
                        registry=registry, sessions=sessions, inbox=harness.inbox, delivery_limit=2, prefetch=4)
    await consumer.start()
    yield Rig(sessions, consumer, topology)
    await consumer.stop(grace=2)
    await engine.dispose()


async def test_publishers_and_consumers_do_their_part_with_their_own_users(logins, connect, notification):
    """The outbox relay publishes as identity, notification consumes as itself: the rights are enough."""
    identity = await connect(logins["identity"])
    publisher = Publisher(identity, notification.topology, "identity")
    await publisher.start()
    await harness.stage(notification.sessions, "relayed-by-identity")
    relay = OutboxRelay("identity", notification.sessions, harness.outbox, publisher)
    assert await relay.publish_pending() == 1
    await wait_for(lambda: harness.effect_names(notification.sessions), what="the event applied")
    assert await harness.effect_names(notification.sessions) == ["relayed-by-identity"]


def _forged_count(event_type: str) -> float:
    return REGISTRY.get_sample_value("tqr_events_consumed_total",
                                     {"service": "notification", "event_type": event_type, "outcome": "forged"}) or 0.0


async def _parked(connect, amqp_url: str, topology: Topology) -> list[aio_pika.abc.AbstractIncomingMessage]:
    channel = await (await connect(amqp_url)).channel()
    queue = await channel.get_queue(topology.dead_letter_queue_name("notification"), ensure=True)
    found = []
    while (message := await queue.get(fail=False, no_ack=True)) is not None:
        found.append(message)
    return found


@pytest.mark.parametrize("lie", ["envelope and headers", "envelope only", "headers only"])
async def test_an_event_whose_producer_lies_is_parked_never_applied(
        logins, connect, amqp_url, notification, lie):
    """Identity's own user may publish AccountRegistered; an envelope saying someone else wrote it
    is not what identity publishes, so it is parked and counted as forged."""
    event_type = "tqr.identity.v1.AccountRegistered"
    claimed_in_envelope = "identity" if lie == "headers only" else "application"
    claimed_in_headers = "identity" if lie == "envelope only" else "application"
    before = _forged_count(event_type)
    forged = await _publish(connect, logins["identity"], notification.topology, claimed_in_headers,
                            _envelope(AccountRegistered(account_id="a", name="forged"), claimed_in_envelope),
                            event_type)
    # A true one after it: once it is applied, the forged one has been dealt with too (one queue).
    await _publish(connect, logins["identity"], notification.topology, "identity",
                   _envelope(AccountRegistered(account_id="a", name="true"), "identity"), event_type)
    await wait_for(lambda: harness.effect_names(notification.sessions), what="the true event applied")
    parked = await wait_for(lambda: _parked(connect, amqp_url, notification.topology), what="the forged one parked")
    assert [m.message_id for m in parked] == [forged]
    assert await harness.effect_names(notification.sessions) == ["true"]
    assert _forged_count(event_type) == before + 1


async def test_an_event_published_under_another_events_routing_key_is_parked(logins, connect, amqp_url, notification):
    """Application's user may publish with the routing key ApplicationStatusChanged, and notification's
    queue is bound to it; a body that is an identity event, truthfully naming identity, is still not
    from identity: the broker checked the routing key, not the body."""
    event_type = "tqr.identity.v1.AccountRegistered"
    before = _forged_count(event_type)
    smuggled = await _publish(connect, logins["application"], notification.topology, "identity",
                              _envelope(AccountRegistered(account_id="a", name="smuggled"), "identity"), STATUS_CHANGED)
    parked = await wait_for(lambda: _parked(connect, amqp_url, notification.topology), what="the smuggled one parked")
    assert [m.message_id for m in parked] == [smuggled]
    assert await harness.effect_names(notification.sessions) == []
    assert _forged_count(event_type) == before + 1


# --- make dlq-replay has rights of its own ------------------------------------------------------------

async def test_dlq_replay_reads_and_replays_with_its_own_user_only_the_dead_letter_queues(
        logins, connect, amqp_url, notification, capsys):
    await _publish(connect, logins["application"], notification.topology, "application", b"not an envelope",
                   STATUS_CHANGED)
    await wait_for(lambda: _dlq_depth(connect, amqp_url, notification.topology, 1), what="the message parked")
    await notification.consumer.stop(grace=2)  # a replayed message waits in the main queue
    assert await drain(logins["dlq-replay"], notification.topology, "notification", replay=True, limit=10) == 1
    assert "1 message(s) replayed" in capsys.readouterr().out
    main_queue = await (await connect(amqp_url)).channel()
    depth = (await main_queue.declare_queue(notification.topology.queue_name("notification"), passive=True))
    assert depth.declaration_result.message_count == 1
    channel = await (await connect(logins["dlq-replay"])).channel()
    with pytest.raises(ChannelAccessRefused, match="ACCESS_REFUSED"):
        queue = await channel.get_queue(notification.topology.queue_name("notification"), ensure=False)
        await queue.get(fail=False)


async def _dlq_depth(connect, amqp_url: str, topology: Topology, n: int) -> bool:
    channel = await (await connect(amqp_url)).channel()
    queue = await channel.declare_queue(topology.dead_letter_queue_name("notification"), passive=True)
    await channel.close()
    return queue.declaration_result.message_count >= n


async def test_the_users_are_made_again_with_new_passwords_without_a_second_user(logins, amqp_url, topology, connect):
    """Running the command again updates a user in place (make run does at every start)."""
    login = broker_users.Login.from_url(role("documents"), logins["documents"])
    renewed = broker_users.Login(login.role, login.user, uuid.uuid4().hex, login.vhost)
    await asyncio.to_thread(broker_users.apply, [renewed], topology)
    assert broker_users.users().count(login.user) == 1
    await connect(broker_users.url_for(amqp_url, renewed))
    with pytest.raises(aio_pika.exceptions.ProbableAuthenticationError):
        await aio_pika.connect(logins["documents"])
