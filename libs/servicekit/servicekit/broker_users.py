"""Each service's own RabbitMQ user, with exactly the rights the bus table gives it.

    python -m servicekit.broker_users               create or update the users the AMQP URLs name
    python -m servicekit.broker_users --dry-run     print the equivalent rabbitmqctl commands
    python -m servicekit.broker_users --delete      remove those users
    python -m servicekit.broker_users --kubernetes  the same as Messaging Topology Operator resources
    python -m servicekit.broker_users --boot-definitions  the same as a file a broker imports at start

Each role of ``servicekit.bus.access.ROLES`` reads its URL from its variable (``IDENTITY_AMQP_URL``,
``APPLICATION_AMQP_URL``, ``NOTIFICATION_AMQP_URL``, ``DOCUMENTS_AMQP_URL``, ``TQR_DLQ_AMQP_URL``), the
same ones the services read: the user, password and vhost in it are what is created, with the
permissions and topic permissions ``access.grants`` computes for ``TQR_EXCHANGE`` and
``TQR_QUEUE_PREFIX``. A role whose variable is unset is skipped (and said so). The vhost must exist.

It runs ``rabbitmqctl`` (which needs the node's Erlang cookie: root or the rabbitmq user on the
broker's host): one ``list_users`` to refuse touching an account with tags (an administrator), then
one ``import_definitions`` carrying every user, its password as a salted hash (never on a command
line) and its permissions. ``--rabbitmqctl`` names another way to run it, e.g.
``--rabbitmqctl "kubectl -n tqr exec -i tqr-rabbitmq-server-0 -- rabbitmqctl"``.

``--kubernetes`` writes, for every role, the operator's User (its name and password imported from the
Secret ``tqr-amqp-<role>``), Permission and TopicPermission on the vhost "/": the file
``deploy/k8s/base/broker-users.yaml`` is that output (a test compares them).
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import json
import os
import secrets
import shlex
import subprocess
import sys
import urllib.parse
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from servicekit.bus.access import ROLES, Role, grants, role
from servicekit.bus.topology import Topology

RABBITMQCTL = ("rabbitmqctl",)


class BrokerUsersError(Exception):
    """The users cannot be made as asked; ``str()`` says why in one line."""


@dataclass(frozen=True)
class Login:
    """A role's account, as its AMQP URL names it."""

    role: Role
    user: str
    password: str
    vhost: str

    @classmethod
    def from_url(cls, the_role: Role, url: str) -> Login:
        parts = urllib.parse.urlsplit(url)
        if not parts.scheme.startswith("amqp") or not parts.username:
            raise BrokerUsersError(f"{the_role.url_variable}: an amqp:// URL with a user is needed")
        return cls(the_role, urllib.parse.unquote(parts.username), urllib.parse.unquote(parts.password or ""),
                   vhost_of(url))


def vhost_of(url: str) -> str:
    """The vhost an AMQP URL names ("/" when it names none)."""
    path = urllib.parse.urlsplit(url).path
    return urllib.parse.unquote(path[1:]) if len(path) > 1 else "/"


def logins_from(environ: Mapping[str, str], roles: Iterable[Role] = ROLES) -> list[Login]:
    """The login of every role whose URL variable is set in ``environ``."""
    logins = [Login.from_url(r, environ[r.url_variable]) for r in roles if environ.get(r.url_variable)]
    _refuse_shared_users(logins)
    return logins


def _refuse_shared_users(logins: Sequence[Login]) -> None:
    # One user for two roles would hold both roles' rights: the boundary this exists for.
    owners: dict[str, str] = {}
    for login in logins:
        other = owners.setdefault(login.user, login.role.name)
        if other != login.role.name:
            raise BrokerUsersError(f"{other} and {login.role.name} name the same user {login.user!r}: "
                                   "each needs its own")


def password_hash(password: str) -> str:
    """RabbitMQ's ``rabbit_password_hashing_sha256``: base64(salt + sha256(salt + password))."""
    salt = secrets.token_bytes(4)
    return base64.b64encode(salt + hashlib.sha256(salt + password.encode()).digest()).decode()


def definitions(logins: Sequence[Login], topology: Topology) -> dict[str, Any]:
    """The users and their rights as a RabbitMQ definitions document (``import_definitions``)."""
    users, permissions, topic_permissions = [], [], []
    for login in logins:
        granted = grants(login.role, topology)
        users.append({"name": login.user, "password_hash": password_hash(login.password),
                      "hashing_algorithm": "rabbit_password_hashing_sha256", "tags": []})
        permissions.append({"user": login.user, "vhost": login.vhost, "configure": granted.configure,
                            "write": granted.write, "read": granted.read})
        # Without a topic permission RabbitMQ allows every routing key: set one for every user.
        topic_permissions.append({"user": login.user, "vhost": login.vhost, "exchange": topology.exchange,
                                  "write": granted.topic_write, "read": granted.topic_read})
    return {"users": users, "permissions": permissions, "topic_permissions": topic_permissions}


def boot_definitions(logins: Sequence[Login], topology: Topology, administrator_url: str) -> dict[str, Any]:
    """``definitions`` for a broker that imports them when it starts (the Compose stack's RabbitMQ):
    with the vhosts, and the administrator ``administrator_url`` names with every right on them (a
    node that imports definitions at boot makes no default user of its own)."""
    administrator = urllib.parse.urlsplit(administrator_url)
    if not administrator.username:
        raise BrokerUsersError("the administrator's URL names no user")
    name = urllib.parse.unquote(administrator.username)
    _refuse_shared_users(logins)
    if name in {login.user for login in logins}:
        raise BrokerUsersError(f"{name!r} is the administrator and a service's user: each service needs its own")
    document = definitions(logins, topology)
    vhosts = sorted({vhost_of(administrator_url), *(login.vhost for login in logins)})
    document["users"].insert(0, {"name": name,
                                 "password_hash": password_hash(urllib.parse.unquote(administrator.password or "")),
                                 "hashing_algorithm": "rabbit_password_hashing_sha256", "tags": ["administrator"]})
    document["permissions"] += [{"user": name, "vhost": vhost, "configure": ".*", "write": ".*", "read": ".*"}
                                for vhost in vhosts]
    return {"vhosts": [{"name": vhost} for vhost in vhosts], **document}


def password_matches(hashed: str, password: str) -> bool:
    """Whether ``hashed`` (``password_hash``'s form) is the hash of ``password``."""
    raw = base64.b64decode(hashed)
    return hmac.compare_digest(hashlib.sha256(raw[:4] + password.encode()).digest(), raw[4:])


def commands(logins: Sequence[Login], topology: Topology) -> list[str]:
    """The same as rabbitmqctl commands, for an operator who runs them by hand (no passwords)."""
    lines = []
    for login in logins:
        granted = grants(login.role, topology)
        user, vhost = shlex.quote(login.user), shlex.quote(login.vhost)
        lines += [
            f"# {login.role.name}",
            f"rabbitmqctl add_user {user}   # reads the password from stdin; change_password if it exists",
            f"rabbitmqctl set_permissions -p {vhost} {user} "
            f"{shlex.quote(granted.configure)} {shlex.quote(granted.write)} {shlex.quote(granted.read)}",
            f"rabbitmqctl set_topic_permissions -p {vhost} {user} {shlex.quote(topology.exchange)} "
            f"{shlex.quote(granted.topic_write)} {shlex.quote(granted.topic_read)}",
        ]
    return lines


def apply(logins: Sequence[Login], topology: Topology, rabbitmqctl: Sequence[str] = RABBITMQCTL) -> None:
    """Create or update every login's user (password, no tags) and set its rights."""
    _refuse_shared_users(logins)
    if not logins:
        return
    tagged = _tagged_users(rabbitmqctl)
    for login in logins:
        if login.user in tagged:
            raise BrokerUsersError(f"{login.role.name}: user {login.user!r} has the tags {tagged[login.user]}; "
                                   "a service's user has none (is this an administrator's account?)")
    _run(rabbitmqctl, ["import_definitions"], stdin=json.dumps(definitions(logins, topology)))


def delete(users: Iterable[str], rabbitmqctl: Sequence[str] = RABBITMQCTL) -> None:
    """Remove ``users`` (their permissions go with them); one that is already gone is fine."""
    wanted = list(users)
    if not wanted:
        return
    existing = set(_users(rabbitmqctl))
    for user in wanted:
        if user in existing:
            _run(rabbitmqctl, ["delete_user", user])


def users(rabbitmqctl: Sequence[str] = RABBITMQCTL) -> list[str]:
    """Every user the broker has."""
    return list(_users(rabbitmqctl))


def url_for(base_url: str, login: Login) -> str:
    """``base_url`` (scheme, host, port, vhost) with ``login``'s user and password."""
    parts = urllib.parse.urlsplit(base_url)
    credentials = f"{urllib.parse.quote(login.user, safe='')}:{urllib.parse.quote(login.password, safe='')}"
    host = parts.netloc.rsplit("@", 1)[-1]
    return urllib.parse.urlunsplit((parts.scheme, f"{credentials}@{host}", parts.path, parts.query, ""))


def _users(rabbitmqctl: Sequence[str]) -> dict[str, list[str]]:
    listed = json.loads(_run(rabbitmqctl, ["list_users", "--formatter", "json"]) or "[]")
    return {str(item["user"]): [str(tag) for tag in item.get("tags") or []] for item in listed}


def _tagged_users(rabbitmqctl: Sequence[str]) -> dict[str, list[str]]:
    return {user: tags for user, tags in _users(rabbitmqctl).items() if tags}


def _run(rabbitmqctl: Sequence[str], args: list[str], stdin: str | None = None) -> str:
    command = [*rabbitmqctl, "-q", *args]
    try:
        result = subprocess.run(command, input=stdin, capture_output=True, text=True, timeout=120)  # noqa: S603
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise BrokerUsersError(f"{shlex.join(command[:len(rabbitmqctl)])} could not run: {exc}") from exc
    if result.returncode != 0:
        detail = " ".join((result.stderr or result.stdout).split())[:400]
        raise BrokerUsersError(f"rabbitmqctl {args[0]} failed ({result.returncode}): {detail}")
    return result.stdout


KUBERNETES_HEADER = ("# Generated by `python -m servicekit.broker_users --kubernetes` from the bus table\n"
                     "# (servicekit/bus/access.py); do not edit. Each service's RabbitMQ user, made by the\n"
                     "# Messaging Topology Operator from the Secret tqr-amqp-<role> (secrets.yaml.example), with the\n"
                     "# rights to publish only its own events and read only its own queue.\n")


def kubernetes_resources(topology: Topology, cluster: str = "tqr-rabbitmq", vhost: str = "/",
                         roles: Iterable[Role] = ROLES) -> list[dict[str, Any]]:
    """Every role's User, Permission and TopicPermission (rabbitmq.com/v1beta1)."""
    resources: list[dict[str, Any]] = []
    for the_role in roles:
        granted = grants(the_role, topology)
        name = f"tqr-{the_role.name}"
        metadata = {"name": name, "labels": {"app.kubernetes.io/component": "data"}}
        reference = {"rabbitmqClusterReference": {"name": cluster}}
        on_user = {**reference, "vhost": vhost, "userReference": {"name": name}}
        resources += [
            {"apiVersion": "rabbitmq.com/v1beta1", "kind": "User", "metadata": metadata,
             "spec": {**reference, "importCredentialsSecret": {"name": f"tqr-amqp-{the_role.name}"}}},
            {"apiVersion": "rabbitmq.com/v1beta1", "kind": "Permission", "metadata": metadata,
             "spec": {**on_user, "permissions": {"configure": granted.configure, "write": granted.write,
                                                 "read": granted.read}}},
            {"apiVersion": "rabbitmq.com/v1beta1", "kind": "TopicPermission", "metadata": metadata,
             "spec": {**on_user, "permissions": {"exchange": topology.exchange, "write": granted.topic_write,
                                                 "read": granted.topic_read}}},
        ]
    return resources


def kubernetes_manifest(topology: Topology) -> str:
    import yaml

    return KUBERNETES_HEADER + yaml.safe_dump_all(kubernetes_resources(topology), sort_keys=False, width=200)


def _example_logins(names: Iterable[str]) -> list[Login]:
    """For ``--dry-run`` without URLs: every role as ``tqr-<role>`` on the vhost "/"."""
    return [Login(role(name), f"tqr-{name}", "", "/") for name in names]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="broker_users", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--exchange", default=os.environ.get("TQR_EXCHANGE", "tqr.events"))
    parser.add_argument("--queue-prefix", default=os.environ.get("TQR_QUEUE_PREFIX", ""))
    parser.add_argument("--rabbitmqctl", default="rabbitmqctl", help="how to run rabbitmqctl (a command line)")
    action = parser.add_mutually_exclusive_group()
    action.add_argument("--dry-run", action="store_true", help="print the rabbitmqctl commands, change nothing")
    action.add_argument("--delete", action="store_true", help="remove the users the URLs name")
    action.add_argument("--kubernetes", action="store_true", help="print the operator's resources for them")
    action.add_argument("--boot-definitions", action="store_true",
                        help="print them as a definitions file a broker imports when it starts, with TQR_AMQP_URL's "
                             "user as its administrator (deploy/compose/rabbitmq/definitions.json)")
    args = parser.parse_args(argv)
    topology = Topology(args.exchange, args.queue_prefix)
    rabbitmqctl = shlex.split(args.rabbitmqctl)
    if args.kubernetes:
        print(kubernetes_manifest(topology), end="")
        return 0
    try:
        logins = logins_from(os.environ)
        if args.dry_run and not logins:  # what it would do for every role, as an example
            print("\n".join(commands(_example_logins(r.name for r in ROLES), topology)))
            return 0
        for unset in [r for r in ROLES if not os.environ.get(r.url_variable)]:
            print(f"{unset.name}: {unset.url_variable} is unset, skipped", file=sys.stderr)
        if args.dry_run:
            print("\n".join(commands(logins, topology)))
            return 0
        if not logins:
            raise BrokerUsersError("no AMQP URL is set: nothing to do")
        if args.boot_definitions:
            if not os.environ.get("TQR_AMQP_URL"):
                raise BrokerUsersError("TQR_AMQP_URL names the administrator: it is unset")
            print(json.dumps(boot_definitions(logins, topology, os.environ["TQR_AMQP_URL"]), indent=2))
            return 0
        if args.delete:
            delete([login.user for login in logins], rabbitmqctl)
        else:
            apply(logins, topology, rabbitmqctl)
    except BrokerUsersError as exc:
        print(f"broker_users: {exc}", file=sys.stderr)
        return 1
    for login in logins:
        print(f"{login.role.name}: user {login.user} on vhost {login.vhost} {'deleted' if args.delete else 'ready'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
