"""The caller's identity as it travels between services: a short-lived signed assertion.

The gateway is the only place where a person's session is known, so it alone signs a person's
actor; a service believes an actor only when its signature verifies. An assertion is three metadata
entries: the ``Actor`` (``tqr-actor-bin``), its claims (``tqr-actor-claims-bin``: key id, expiry
in Unix seconds, a hash of the session it speaks for) and an Ed25519 signature over both
(``tqr-actor-signature-bin``). Ed25519 lets every service verify without being able to sign.

Keys are named ``<holder>.<label>``: the holder is who signs with it. The gateway's keys may assert
any person's role but never SYSTEM; any other holder (the documents service reading form data)
may assert only SYSTEM with itself as subject, so a service's key cannot speak for a person.

``ServiceInterceptor`` (rpc.server) verifies the assertion before the handler runs and refuses a
forged, expired or unknown-key one with UNAUTHENTICATED; ``actor_of`` returns only a verified actor.
A service that passes a person's request on (documents → application, staff checks) forwards the
assertion it received (``forwarded_actor``), unchanged, instead of building an actor of its own.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import json
import time
from collections.abc import Callable, Iterable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import grpc
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat
from google.protobuf.message import DecodeError
from tqr.common.v1.actor_pb2 import Actor
from tqr.common.v1.vocabulary_pb2 import ROLE_SYSTEM

from servicekit import errors

ACTOR_METADATA_KEY = "tqr-actor-bin"
CLAIMS_METADATA_KEY = "tqr-actor-claims-bin"
SIGNATURE_METADATA_KEY = "tqr-actor-signature-bin"
_DOMAIN = b"tqr-actor-v1\n"  # what is signed starts with this, so the key signs nothing else by accident

DEFAULT_LIFETIME_SECONDS = 60
# An assertion promising more than this is refused even with a good signature: a leaked one must
# stop working soon. Clocks of two hosts may differ by a few seconds (the leeway).
MAX_LIFETIME_SECONDS = 300
CLOCK_LEEWAY_SECONDS = 5
GATEWAY_HOLDER = "gateway"
# Assertions a signer reuses and a verifier remembers, at most (then it starts over).
RECENT_ASSERTIONS_KEPT = 10_000
SYSTEM_ROLE = ROLE_SYSTEM
DEV_KEY_MARK = "dev-only"

Metadata = tuple[tuple[str, bytes], ...]
Clock = Callable[[], float]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def holder_of(key_id: str) -> str:
    return key_id.split(".", 1)[0]


def _dev_private_key(holder: str) -> Ed25519PrivateKey:
    """A fixed development key (public knowledge: production refuses every ``dev-only`` key id)."""
    return Ed25519PrivateKey.from_private_bytes(hashlib.sha256(f"{DEV_KEY_MARK}-{holder}".encode()).digest())


def _private_entry(key_id: str, key: Ed25519PrivateKey) -> str:
    return f"{key_id}:{_b64(key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption()))}"


def public_entry(key_id: str, key: Ed25519PublicKey) -> str:
    return f"{key_id}:{_b64(key.public_bytes(Encoding.Raw, PublicFormat.Raw))}"


def new_key_pair(key_id: str) -> tuple[str, str]:
    """(signing entry, verify entry) for a fresh key: what an operator puts into the two settings."""
    key = Ed25519PrivateKey.generate()
    return _private_entry(key_id, key), public_entry(key_id, key.public_key())


DEV_GATEWAY_KEY_ID = f"{GATEWAY_HOLDER}.{DEV_KEY_MARK}"
DEV_DOCUMENTS_KEY_ID = f"documents.{DEV_KEY_MARK}"
DEV_GATEWAY_SIGNING_KEYS = _private_entry(DEV_GATEWAY_KEY_ID, _dev_private_key(GATEWAY_HOLDER))
DEV_DOCUMENTS_SIGNING_KEYS = _private_entry(DEV_DOCUMENTS_KEY_ID, _dev_private_key("documents"))
DEV_VERIFY_KEYS = ",".join(
    public_entry(kid, _dev_private_key(holder_of(kid)).public_key())
    for kid in (DEV_GATEWAY_KEY_ID, DEV_DOCUMENTS_KEY_ID)
)


def _entries(text: str, what: str) -> list[tuple[str, bytes]]:
    """``id:key,id:key`` → [(id, raw key bytes)]; raises ValueError naming the bad entry's id."""
    entries = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        key_id, sep, encoded = part.partition(":")
        try:
            raw = _unb64(encoded.strip())
        except (binascii.Error, ValueError):
            raw = b""
        if not sep or not key_id.strip() or len(raw) != 32:
            raise ValueError(f"{what}: entry {key_id.strip()!r} is not <id>:<32-byte base64url key>")
        entries.append((key_id.strip(), raw))
    return entries


def development_key_ids(text: str) -> list[str]:
    """The development keys among a key list (production refuses them)."""
    return [part.split(":", 1)[0].strip() for part in text.split(",") if DEV_KEY_MARK in part.split(":", 1)[0]]


def session_hash(session_id: str) -> str:
    """What an assertion says about its session: enough to tie calls to one session in an audit,
    never the session token itself."""
    return hashlib.sha256(f"tqr-actor-session:{session_id}".encode()).hexdigest()[:32]


class ActorSigner:
    """Signs actors with the first key of its list (the others are older keys kept for rotation)."""

    def __init__(self, key_id: str, key: Ed25519PrivateKey, *, lifetime_seconds: int = DEFAULT_LIFETIME_SECONDS,
                 clock: Clock = time.time) -> None:
        self.key_id = key_id
        self._key = key
        self.lifetime_seconds = lifetime_seconds
        self._clock = clock
        # (actor, session) → (assertion, expiry): a person's calls within half a lifetime share one
        # assertion, which any of them could replay until it expires anyway; signing each call
        # anew was a visible share of the gateway's CPU per request.
        self._recent: dict[tuple[bytes, str], tuple[Metadata, int]] = {}

    @classmethod
    def from_setting(cls, text: str, *, lifetime_seconds: int = DEFAULT_LIFETIME_SECONDS,
                     clock: Clock = time.time) -> ActorSigner:
        entries = _entries(text, "actor signing keys")
        if not entries:
            raise ValueError("actor signing keys: none given")
        key_id, raw = entries[0]
        return cls(key_id, Ed25519PrivateKey.from_private_bytes(raw), lifetime_seconds=lifetime_seconds, clock=clock)

    def metadata_for(self, actor: Actor, session_id: str = "") -> Metadata:
        body = actor.SerializeToString()
        now = self._clock()
        reused = self._recent.get((body, session_id))
        if reused is not None and reused[1] - now >= self.lifetime_seconds / 2:
            return reused[0]
        expires = int(now) + self.lifetime_seconds
        metadata = self._sign(body, session_id, expires)
        if len(self._recent) >= RECENT_ASSERTIONS_KEPT:
            self._recent.clear()
        self._recent[(body, session_id)] = (metadata, expires)
        return metadata

    def _sign(self, body: bytes, session_id: str, expires: int) -> Metadata:
        claims = json.dumps({"kid": self.key_id, "exp": expires,
                             "sid": session_hash(session_id) if session_id else ""},
                            separators=(",", ":"), sort_keys=True).encode()
        signature = self._key.sign(_DOMAIN + claims + b"\n" + body)
        return ((ACTOR_METADATA_KEY, body), (CLAIMS_METADATA_KEY, claims), (SIGNATURE_METADATA_KEY, signature))


@dataclass(frozen=True)
class VerifiedActor:
    actor: Actor
    key_id: str
    metadata: Metadata  # the assertion exactly as received, to forward


_REFUSED = ("UNAUTHENTICATED", "请先登录", "Please sign in first")


class ActorRefused(errors.Unauthenticated):
    """An assertion that does not hold; ``reason`` is for the log, never for the caller."""

    def __init__(self, reason: str) -> None:
        super().__init__(*_REFUSED)
        self.reason = reason


def _refuse(reason: str) -> ActorRefused:
    return ActorRefused(reason)


class ActorVerifier:
    """Verifies assertions with every key of its list (the signer's current and previous keys)."""

    def __init__(self, keys: dict[str, Ed25519PublicKey], *, clock: Clock = time.time) -> None:
        self._keys = keys
        self._clock = clock
        # signature → (claims, actor, key id, expiry) of assertions whose signature verified: the
        # signer reuses an assertion for half its lifetime, so most calls repeat one already
        # checked. The expiry and the exact bytes are checked on every call all the same.
        self._verified: dict[bytes, tuple[bytes, bytes, str, int]] = {}

    @classmethod
    def from_setting(cls, text: str, *, clock: Clock = time.time) -> ActorVerifier:
        keys = {kid: Ed25519PublicKey.from_public_bytes(raw) for kid, raw in _entries(text, "actor verify keys")}
        return cls(keys, clock=clock)

    def verify(self, metadata: Iterable[tuple[str, Any]] | None) -> VerifiedActor | None:
        """None when the call carries no actor; raises Unauthenticated when it carries a bad one."""
        found: dict[str, bytes] = {}
        for name, value in metadata or ():
            if name in (ACTOR_METADATA_KEY, CLAIMS_METADATA_KEY, SIGNATURE_METADATA_KEY):
                if name in found or not isinstance(value, bytes):
                    raise _refuse("an actor entry repeated or not binary")
                found[name] = value
        if not found:
            return None
        if len(found) != 3:
            raise _refuse("an unsigned actor")
        body, claims_bytes, signature = (found[ACTOR_METADATA_KEY], found[CLAIMS_METADATA_KEY],
                                         found[SIGNATURE_METADATA_KEY])
        known = self._verified.get(signature)
        if known is not None and known[0] == claims_bytes and known[1] == body:
            self._check_time(known[3])
            return VerifiedActor(_actor_of(body), known[2], (
                (ACTOR_METADATA_KEY, body), (CLAIMS_METADATA_KEY, claims_bytes), (SIGNATURE_METADATA_KEY, signature)))
        try:
            claims = json.loads(claims_bytes)
            key_id, expires = str(claims["kid"]), int(claims["exp"])
        except (ValueError, KeyError, TypeError):
            raise _refuse("unreadable claims") from None
        key = self._keys.get(key_id)
        if key is None:
            raise _refuse("an unknown key")
        try:
            key.verify(signature, _DOMAIN + claims_bytes + b"\n" + body)
        except InvalidSignature:
            raise _refuse("a signature that does not verify") from None
        self._check_time(expires)
        actor = _actor_of(body)
        _check_holder(holder_of(key_id), actor)
        if len(self._verified) >= RECENT_ASSERTIONS_KEPT:
            self._verified.clear()
        self._verified[signature] = (claims_bytes, body, key_id, expires)
        return VerifiedActor(actor, key_id, (
            (ACTOR_METADATA_KEY, body), (CLAIMS_METADATA_KEY, claims_bytes), (SIGNATURE_METADATA_KEY, signature)))


    def _check_time(self, expires: int) -> None:
        now = self._clock()
        if expires + CLOCK_LEEWAY_SECONDS < now:
            raise _refuse("an expired assertion")
        if expires > now + MAX_LIFETIME_SECONDS + CLOCK_LEEWAY_SECONDS:
            raise _refuse("an assertion that lives too long")


def _actor_of(body: bytes) -> Actor:
    actor = Actor()
    try:
        actor.ParseFromString(body)
    except DecodeError:
        raise _refuse("an undecodable actor") from None
    if not actor.subject_id or not actor.role:
        raise _refuse("an actor without subject or role")
    return actor


def _check_holder(holder: str, actor: Actor) -> None:
    """The gateway speaks for people, a service only for itself."""
    if holder == GATEWAY_HOLDER:
        if actor.role == SYSTEM_ROLE:
            raise _refuse("the gateway's key asserting SYSTEM")
    elif actor.role != SYSTEM_ROLE or actor.subject_id != holder:
        raise _refuse("a service's key asserting someone else")


_VERIFIED: ContextVar[VerifiedActor | None] = ContextVar("tqr_verified_actor", default=None)


def bind_verified(verified: VerifiedActor | None) -> Any:
    """Set by the server interceptor for the duration of one call; returns the reset token."""
    return _VERIFIED.set(verified)


def unbind_verified(token: Any) -> None:
    # A streaming handler may end in another context than it began (its task is ending anyway).
    with contextlib.suppress(ValueError):
        _VERIFIED.reset(token)


def actor_of(context: grpc.aio.ServicerContext | None = None) -> Actor:
    """The verified caller; raises Unauthenticated when the call carries none.

    ``context`` is accepted for the handlers' convenience; the actor comes from the interceptor's
    verification of this very call, never from the metadata itself."""
    verified = _VERIFIED.get()
    if verified is None:
        raise errors.Unauthenticated(*_REFUSED)
    return verified.actor


def forwarded_actor() -> Metadata:
    """The assertion of the call being handled, to pass a person's request on to another service."""
    verified = _VERIFIED.get()
    if verified is None:
        raise errors.Unauthenticated(*_REFUSED)
    return verified.metadata


if __name__ == "__main__":  # python -m servicekit.rpc.actor <key id>: a new pair for the two settings
    import sys

    signing, verify = new_key_pair(sys.argv[1] if len(sys.argv) > 1 else "gateway.k1")
    print(f"signing (the holder's *_ACTOR_SIGNING_KEYS): {signing}")
    print(f"verify (TQR_ACTOR_VERIFY_KEYS):               {verify}")
