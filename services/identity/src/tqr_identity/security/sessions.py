"""Server-side sessions (R-ID-12): opaque tokens, ended on the server.

A token is 256 random bits (``secrets.token_urlsafe(32)``). Redis keeps only its SHA-256 (the
session id), so a dump of Redis gives no usable tokens. A session ends after ``idle_timeout``
without use (sliding: each ``resolve`` extends it) and at the latest ``absolute_lifetime`` after
sign-in, even across ``rotate``. Both limits are compared with the injected clock; the Redis TTL
of the session follows them so that ended sessions also disappear from Redis.

Each subject has a set of its session ids, so changing or resetting the password can end all
other sessions (``revoke_all`` with ``except_token``).

Callers may remember a resolved session for a short while (the gateway does, to spare a call per
request). So that an ended session is refused at once all the same, every ending is announced on
the Redis pub/sub channel ``revocation_channel`` as ``session:<session id>``, and a changed account
(name, verification status) as ``subject:<subject id>``. Sessions that simply time out are not
announced: ``resolve`` tells the caller how long the session stays valid (``valid_for``).
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from redis.asyncio import Redis
from redis.typing import EncodableT, FieldT
from servicekit.clock import Clock
from servicekit.errors import Unauthenticated

TOKEN_BYTES = 32

_TOUCH = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'last_seen', ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
"""


class SessionKind(StrEnum):
    APPLICANT = "applicant"
    STAFF = "staff"


@dataclass(frozen=True)
class SessionPolicy:
    idle_timeout: timedelta = timedelta(minutes=30)
    absolute_lifetime: timedelta = timedelta(hours=12)


@dataclass(frozen=True)
class Session:
    session_id: str  # SHA-256 of the token: safe to log and to show in a list of devices
    subject_id: str
    kind: SessionKind
    roles: tuple[str, ...]
    organisation_code: str | None
    created_at: datetime
    last_seen: datetime
    valid_for: timedelta = timedelta(0)  # from last_seen, if not used again (idle or absolute end)


def session_id_of(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _ms(instant: datetime) -> int:
    return int(instant.timestamp() * 1000)


def _instant(ms: str) -> datetime:
    return datetime.fromtimestamp(int(ms) / 1000, UTC)


def _decoded(raw: Mapping[Any, Any]) -> dict[str, str]:
    return {
        (k.decode() if isinstance(k, bytes) else k): (v.decode() if isinstance(v, bytes) else v)
        for k, v in raw.items()
    }


class SessionStore:
    def __init__(
        self, redis: Redis, clock: Clock, key_prefix: str, policy: SessionPolicy | None = None
    ) -> None:
        self._redis = redis
        self._clock = clock
        self._prefix = f"{key_prefix}:session"
        self.policy = policy or SessionPolicy()
        self._touch: Any = redis.register_script(_TOUCH)
        self.revocation_channel = f"{self._prefix}:ended"

    def _key(self, session_id: str) -> str:
        return f"{self._prefix}:id:{session_id}"

    def _subject_key(self, subject_id: str) -> str:
        return f"{self._prefix}:subject:{subject_id}"

    def _remaining(self, created_at: datetime, now: datetime) -> timedelta:
        return min(self.policy.idle_timeout, created_at + self.policy.absolute_lifetime - now)

    def _ttl_ms(self, created_at: datetime, now: datetime) -> int:
        return max(1, int(self._remaining(created_at, now).total_seconds() * 1000))

    async def create(
        self,
        subject_id: str,
        kind: SessionKind,
        roles: Iterable[str] = (),
        organisation_code: str | None = None,
    ) -> str:
        """Start a session and return its token (give it to the client; it is not kept)."""
        now = self._clock.now()
        return await self._store(subject_id, SessionKind(kind), tuple(roles), organisation_code, now, now)

    async def _store(
        self,
        subject_id: str,
        kind: SessionKind,
        roles: tuple[str, ...],
        organisation_code: str | None,
        created_at: datetime,
        now: datetime,
    ) -> str:
        token = secrets.token_urlsafe(TOKEN_BYTES)
        session_id = session_id_of(token)
        fields: dict[FieldT, EncodableT] = {
            "subject_id": subject_id,
            "kind": kind.value,
            "roles": json.dumps(list(roles)),
            "organisation_code": organisation_code or "",
            "created_at": str(_ms(created_at)),
            "last_seen": str(_ms(now)),
        }
        subject_key = self._subject_key(subject_id)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hset(self._key(session_id), mapping=fields)
            pipe.pexpire(self._key(session_id), self._ttl_ms(created_at, now))
            pipe.sadd(subject_key, session_id)
            pipe.pexpire(subject_key, int(self.policy.absolute_lifetime.total_seconds() * 1000))
            await pipe.execute()
        return token

    async def resolve(self, token: str) -> Session | None:
        """The live session of ``token`` (its idle time restarts now), or None."""
        if not token:
            return None
        session_id = session_id_of(token)
        data = _decoded(await self._redis.hgetall(self._key(session_id)))
        if not data:
            return None
        now = self._clock.now()
        created_at, last_seen = _instant(data["created_at"]), _instant(data["last_seen"])
        if now - last_seen >= self.policy.idle_timeout or now - created_at >= self.policy.absolute_lifetime:
            await self._end(session_id, data["subject_id"])
            return None
        # Only touch a session that still exists: a revoke running meanwhile must stay effective.
        if not await self._touch(keys=[self._key(session_id)], args=[_ms(now), self._ttl_ms(created_at, now)]):
            return None
        return Session(
            session_id=session_id,
            subject_id=data["subject_id"],
            kind=SessionKind(data["kind"]),
            roles=tuple(json.loads(data["roles"])),
            organisation_code=data["organisation_code"] or None,
            created_at=created_at,
            last_seen=now,
            valid_for=self._remaining(created_at, now),
        )

    async def _end(self, session_id: str, subject_id: str) -> bool:
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.delete(self._key(session_id))
            pipe.srem(self._subject_key(subject_id), session_id)
            pipe.publish(self.revocation_channel, f"session:{session_id}")
            deleted, _, _ = await pipe.execute()
        return bool(deleted)

    async def subject_changed(self, subject_ids: Iterable[str]) -> None:
        """Announce accounts whose name or status changed (after the change is committed)."""
        async with self._redis.pipeline(transaction=False) as pipe:
            for subject_id in subject_ids:
                pipe.publish(self.revocation_channel, f"subject:{subject_id}")
            await pipe.execute()

    async def revoke(self, token: str) -> bool:
        """End the session of ``token`` (logout). True when it was live."""
        session_id = session_id_of(token)
        subject_id = await self._redis.hget(self._key(session_id), "subject_id")
        if subject_id is None:
            return False
        return await self._end(session_id, subject_id.decode() if isinstance(subject_id, bytes) else subject_id)

    async def revoke_all(self, subject_id: str, except_token: str | None = None) -> int:
        """End every session of the subject except ``except_token``'s; return how many were live."""
        keep = session_id_of(except_token) if except_token else None
        members = await self._redis.smembers(self._subject_key(subject_id))
        ids = [m.decode() if isinstance(m, bytes) else m for m in members]
        ending = [sid for sid in ids if sid != keep]
        if not ending:
            return 0
        async with self._redis.pipeline(transaction=True) as pipe:
            for sid in ending:
                pipe.delete(self._key(sid))
            pipe.srem(self._subject_key(subject_id), *ending)
            for sid in ending:
                pipe.publish(self.revocation_channel, f"session:{sid}")
            results = await pipe.execute()
        return sum(int(n) for n in results[:len(ending)])

    async def rotate(self, old_token: str) -> str:
        """A new token for the same session data (e.g. after sign-in steps); the old one ends.

        The absolute lifetime still counts from the original sign-in. Raises ``Unauthenticated``
        when the old session is not live.
        """
        session = await self.resolve(old_token)
        if session is None:
            raise Unauthenticated(
                "SESSION_ENDED", "登录已失效，请重新登录", "Your session has ended; please sign in again"
            )
        new_token = await self._store(
            session.subject_id,
            session.kind,
            session.roles,
            session.organisation_code,
            session.created_at,
            session.last_seen,
        )
        await self._end(session.session_id, session.subject_id)
        return new_token
