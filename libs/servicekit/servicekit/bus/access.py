"""Who may do what on the bus: the one table of which service publishes and which consumes each
event type, and the broker permissions that follow from it.

The broker enforces the table: every service connects as a RabbitMQ user of its own
(``<SERVICE>_AMQP_URL``) whose permissions let it publish only the events of its own contracts
package (topic permission on the exchange: the routing key is the event type) and declare, bind and
read only its own queue, bound only to the event types it consumes. The consumers enforce it too:
an envelope whose producer is not the service that publishes its type, or whose type is not the
routing key the broker checked, is parked (``servicekit.bus.consumer``).

Users and permissions are made from this table by ``python -m servicekit.broker_users`` (``make
run``, the tests) and, in Kubernetes, by the Messaging Topology Operator's User, Permission and
TopicPermission resources in ``deploy/k8s/base/broker-users.yaml`` (a test compares them with it).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from tqr.application.v1 import broadcast_pb2 as broadcast_events
from tqr.application.v1 import events_pb2 as application_events
from tqr.identity.v1 import events_pb2 as identity_events

from servicekit.bus.topology import Topology

# A message name inside a contracts package (protobuf identifiers).
_MESSAGE_NAME = "[A-Za-z0-9_]+"


@dataclass(frozen=True)
class Role:
    """One broker user's part on the bus."""

    name: str  # the service name (the envelope's ``producer``), or a tool's
    # Contracts packages whose events it publishes ("tqr.identity.v1": every event of that package).
    publishes: tuple[str, ...] = ()
    # Event types its queue ``<prefix><name>.events`` is bound to.
    consumes: tuple[str, ...] = ()
    # ``make dlq-replay``: reads every consumer's dead-letter queue and publishes what it reads back.
    replays: bool = False
    # The variable holding its AMQP URL (user, password, vhost); "" means ``<NAME>_AMQP_URL``.
    url_setting: str = ""

    @property
    def url_variable(self) -> str:
        return self.url_setting or f"{self.name.upper()}_AMQP_URL"


def _types(*messages: type) -> tuple[str, ...]:
    return tuple(str(message.DESCRIPTOR.full_name) for message in messages)  # type: ignore[attr-defined]


# The single source of who publishes and who consumes what. A consumer's list must be the event
# types its subscriptions name (a test compares them); a publisher owns its whole package, so a new
# event in its events.proto needs no change here.
ROLES: tuple[Role, ...] = (
    Role("identity", publishes=("tqr.identity.v1",)),
    Role("application", publishes=("tqr.application.v1",)),
    Role("notification", consumes=_types(
        identity_events.VerificationCodeRequested,
        identity_events.AccountRegistered,
        identity_events.ContactDetailsChanged,
        identity_events.RealNameVerified,
        identity_events.RealNameVerificationFailed,
        identity_events.ManualReviewRequested,
        identity_events.ManualReviewDecided,
        identity_events.PasswordChanged,
        identity_events.SupportRequestDecided,
        identity_events.EmailChanged,
        application_events.ApplicationSubmitted,
        application_events.ApplicationUpdated,
        application_events.ApplicationStatusChanged,
        application_events.MessagePosted,
        application_events.AppointmentSlotCancelled,
        broadcast_events.BroadcastPosted,
    )),
    Role("documents", consumes=_types(
        application_events.ApplicationSubmitted,
        application_events.ApplicationUpdated,
        application_events.ApplicationStatusChanged,
    )),
    Role("dlq-replay", replays=True, url_setting="TQR_DLQ_AMQP_URL"),
)


def role(name: str, roles: Iterable[Role] = ROLES) -> Role:
    for candidate in roles:
        if candidate.name == name:
            return candidate
    raise KeyError(f"no role {name!r} on the bus")


def producer_of(event_type: str, roles: Iterable[Role] = ROLES) -> str | None:
    """The one service that publishes ``event_type`` (None: nobody does)."""
    package, _, message = event_type.rpartition(".")
    if not re.fullmatch(_MESSAGE_NAME, message):
        return None
    for candidate in roles:
        if package in candidate.publishes:
            return candidate.name
    return None


@dataclass(frozen=True)
class Grants:
    """A role's permissions on one vhost, as RabbitMQ takes them: regexes over resource names
    (``set_permissions``) and over routing keys on the topic exchange (``set_topic_permissions``)."""

    configure: str
    write: str
    read: str
    topic_write: str
    topic_read: str


def grants(the_role: Role, topology: Topology, roles: Iterable[Role] = ROLES) -> Grants:
    """What ``the_role`` needs and nothing more.

    - A publisher declares the exchange (configure) and publishes to it (write), only with routing
      keys of its own packages (topic write).
    - A consumer declares the exchange, the dead-letter exchange, its queue and its dead-letter
      queue (configure); binds its two queues (write on them, read on the exchanges); declaring a
      queue with a dead-letter exchange also needs write on that exchange; consumes its queue (read);
      binds only to the event types it consumes (topic read).
    - The replay tool reads every consumer's dead-letter queue and publishes back the event types
      consumers consume; it declares nothing (it only looks queues up).
    """
    roles = tuple(roles)
    configure: set[str] = set()
    write: set[str] = set()
    read: set[str] = set()
    topic_write: list[str] = []
    if the_role.publishes:
        configure.add(topology.exchange)
        write.add(topology.exchange)
        topic_write += [rf"{_literal(package)}\.{_MESSAGE_NAME}" for package in sorted(the_role.publishes)]
    if the_role.consumes:
        queue, dlq = topology.queue_name(the_role.name), topology.dead_letter_queue_name(the_role.name)
        configure |= {topology.exchange, topology.dead_letter_exchange, queue, dlq}
        write |= {topology.dead_letter_exchange, queue, dlq}
        read |= {topology.exchange, topology.dead_letter_exchange, queue}
    if the_role.replays:
        write.add(topology.exchange)
        read |= {topology.dead_letter_queue_name(other.name) for other in roles if other.consumes}
        topic_write += [_literal(event_type)
                        for event_type in sorted({t for other in roles for t in other.consumes})]
    return Grants(
        configure=_one_of(_literal(name) for name in configure),
        write=_one_of(_literal(name) for name in write),
        read=_one_of(_literal(name) for name in read),
        topic_write=_one_of(topic_write),
        topic_read=_one_of(_literal(event_type) for event_type in the_role.consumes),
    )


def _literal(name: str) -> str:
    """``name`` as a regex matching exactly it (resource names hold dots, sometimes dashes)."""
    return re.sub(r"([.^$*+?{}\[\]\\|()])", r"\\\1", name)


def _one_of(patterns: Iterable[str]) -> str:
    """A regex matching exactly one of ``patterns``; ``^$`` (nothing) when there are none."""
    unique = sorted(set(patterns))
    if not unique:
        return "^$"
    if len(unique) == 1:
        return f"^{unique[0]}$"
    return "^(" + "|".join(unique) + ")$"
