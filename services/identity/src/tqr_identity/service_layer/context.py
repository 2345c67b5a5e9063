"""What every handler needs, built once by ``bootstrap`` (the composition root)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime

from redis.exceptions import RedisError
from servicekit.clock import Clock
from servicekit.outbox import OutboxWriter, staged_events
from servicekit.sealing import Sealer
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tqr_identity.adapters.account_crypto import AccountCrypto
from tqr_identity.adapters.account_repository import AccountRepository, changed_accounts
from tqr_identity.adapters.case_repository import CaseRepository
from tqr_identity.adapters.crypto.password_hasher import PasswordHasher
from tqr_identity.adapters.photo_storage import PhotoStorage
from tqr_identity.adapters.real_name import RealNameProvider
from tqr_identity.adapters.staff_repository import StaffRepository
from tqr_identity.config import IdentitySettings
from tqr_identity.domain.working_days import WorkingCalendar
from tqr_identity.security.human_pass import HumanPassStore
from tqr_identity.security.issue_limit import HumanCheckIssueLimit
from tqr_identity.security.login_throttle import LoginThrottle
from tqr_identity.security.pending_enrolments import PendingEnrolments
from tqr_identity.security.sessions import SessionStore
from tqr_identity.security.slider import SliderStore
from tqr_identity.security.support_limits import SupportRequestLimits
from tqr_identity.security.text_challenge import TextChallengeStore
from tqr_identity.security.totp import TotpVerifier
from tqr_identity.security.verification_codes import VerificationCodes

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SecurityStores:
    """The Redis-backed parts (security package)."""

    passes: HumanPassStore
    slider: SliderStore
    text: TextChallengeStore
    codes: VerificationCodes
    throttle: LoginThrottle
    sessions: SessionStore
    totp: TotpVerifier
    support_limits: SupportRequestLimits  # R-ID-11: requests without signing in
    check_issues: HumanCheckIssueLimit  # R-ID-5: human checks issued per client
    enrolments: PendingEnrolments  # R-STAFF-5: staff between the two steps of enrolment


def client_key(client_id: str) -> str:
    """The caller's address as the gateway passed it (the key of every per-client limit)."""
    return client_id.strip() or "unknown-client"


@dataclass(frozen=True)
class Sealers:
    """Values sealed for the notification service (servicekit.sealing)."""

    contact: Sealer  # purpose "recipient-contact"
    code_destination: Sealer  # purpose "code-destination"


@dataclass
class IdentityContext:
    settings: IdentitySettings
    db: async_sessionmaker[AsyncSession]
    reading_db: async_sessionmaker[AsyncSession]  # no transaction; refuses to write
    clock: Clock
    crypto: AccountCrypto
    accounts: AccountRepository
    cases: CaseRepository
    staff: StaffRepository
    hasher: PasswordHasher
    security: SecurityStores
    sealers: Sealers
    events: OutboxWriter
    photos: PhotoStorage
    real_name: RealNameProvider
    calendar: WorkingCalendar
    # Called after a commit that staged events (the host's relay nudge).
    after_commit: Callable[[], None] = field(default=lambda: None)

    def now(self) -> datetime:
        return self.clock.now()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """One unit of work: commit on success (then nudge the relay and announce changed accounts to
        whoever remembers resolved sessions), roll back on error."""
        async with self.db() as session:
            async with session.begin():
                yield session
            changed = changed_accounts(session)
            staged = staged_events(session)
        if staged:
            self.after_commit()
        if changed:
            try:
                await self.security.sessions.subject_changed(changed)
            except RedisError:
                # The change is committed; callers that remember sessions drop them all when they
                # lose Redis, and otherwise refresh them within their short cache time.
                log.warning("could not announce changed accounts", extra={"accounts": len(changed)})

    def reading(self) -> AsyncSession:
        """A unit of work that only reads (``async with``): no transaction, and it refuses to write
        (``servicekit.db.reading_sessionmaker``)."""
        return self.reading_db()
