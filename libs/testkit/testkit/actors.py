"""Signed actors for tests: what the gateway (a person) or the documents service (SYSTEM) would send.

Signed with the development keys, which every server started without ``TQR_ACTOR_VERIFY_KEYS``
(tests, ``make run``) trusts.
"""

from __future__ import annotations

import time

from servicekit.rpc.actor import (
    DEFAULT_LIFETIME_SECONDS,
    DEV_DOCUMENTS_SIGNING_KEYS,
    DEV_GATEWAY_SIGNING_KEYS,
    SYSTEM_ROLE,
    ActorSigner,
    Clock,
    Metadata,
)
from tqr.common.v1.actor_pb2 import Actor


def signer_for(actor: Actor, clock: Clock = time.time, lifetime_seconds: int = DEFAULT_LIFETIME_SECONDS) -> ActorSigner:
    keys = DEV_DOCUMENTS_SIGNING_KEYS if actor.role == SYSTEM_ROLE else DEV_GATEWAY_SIGNING_KEYS
    return ActorSigner.from_setting(keys, clock=clock, lifetime_seconds=lifetime_seconds)


def metadata_for(actor: Actor, session_id: str = "test-session") -> Metadata:
    """The actor as the gateway signs it (as the documents service does for a SYSTEM actor)."""
    return signer_for(actor).metadata_for(actor, session_id)
