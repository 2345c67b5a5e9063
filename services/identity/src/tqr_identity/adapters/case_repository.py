"""Manual-review cases, support requests, their photos and the audit of reviewer decisions."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from tqr_identity.adapters import orm
from tqr_identity.adapters.account_crypto import AccountCrypto
from tqr_identity.adapters.account_repository import aware
from tqr_identity.service_layer.model import (
    CaseStatus,
    ManualReview,
    StoredPhoto,
    SupportKind,
    SupportRequest,
)

REVIEW = "manual_review"
SUPPORT = "support_request"
SUPPORT_TABLE = "support_requests"


class CaseRepository:
    def __init__(self, crypto: AccountCrypto) -> None:
        self.crypto = crypto

    # --- photos -----------------------------------------------------------------------------

    async def add_photo(self, session: AsyncSession, photo: StoredPhoto, at: datetime) -> None:
        await session.execute(insert(orm.stored_photos).values(
            id=photo.id, owner_kind=photo.owner_kind, owner_id=photo.owner_id, account_id=photo.account_id,
            content_type=photo.content_type, size_bytes=photo.size_bytes, created_at=at,
        ))

    async def photo(self, session: AsyncSession, photo_id: str) -> StoredPhoto | None:
        row = (await session.execute(select(orm.stored_photos).where(orm.stored_photos.c.id == photo_id))
               ).mappings().first()
        if row is None:
            return None
        return StoredPhoto(row["id"], row["owner_kind"], row["owner_id"], row["account_id"], row["content_type"],
                           row["size_bytes"])

    async def _photo_ids(self, session: AsyncSession, kind: str, owner_ids: list[str]) -> dict[str, tuple[str, ...]]:
        if not owner_ids:
            return {}
        c = orm.stored_photos.c
        rows = await session.execute(
            select(c.owner_id, c.id).where(c.owner_kind == kind, c.owner_id.in_(owner_ids)).order_by(c.created_at, c.id)
        )
        found: dict[str, list[str]] = defaultdict(list)
        for owner_id, photo_id in rows:
            found[owner_id].append(photo_id)
        return {k: tuple(v) for k, v in found.items()}

    # --- manual reviews (R-ID-9) ------------------------------------------------------------

    async def add_review(self, session: AsyncSession, case: ManualReview) -> None:
        await session.execute(insert(orm.manual_reviews).values(
            id=case.id, account_id=case.account_id, status=case.status.value, name=case.name, note=case.note,
            submitted_at=case.submitted_at, due_date=case.due_date,
        ))

    async def pending_review_of(self, session: AsyncSession, account_id: str) -> ManualReview | None:
        c = orm.manual_reviews.c
        query = self._review_query().where(c.account_id == account_id, c.status == CaseStatus.PENDING.value)
        cases = await self._reviews(session, query)
        return cases[0] if cases else None

    async def review(self, session: AsyncSession, case_id: str, *, for_update: bool = False) -> ManualReview | None:
        query = self._review_query().where(orm.manual_reviews.c.id == case_id)
        if for_update:
            query = query.with_for_update(of=orm.manual_reviews)
        cases = await self._reviews(session, query)
        return cases[0] if cases else None

    async def list_reviews(self, session: AsyncSession, status: str | None, limit: int, offset: int
                           ) -> tuple[list[ManualReview], int]:
        c = orm.manual_reviews.c
        query = self._review_query()
        count = select(func.count()).select_from(orm.manual_reviews)
        if status:
            query, count = query.where(c.status == status), count.where(c.status == status)
        cases = await self._reviews(session, query.order_by(c.due_date, c.submitted_at).limit(limit).offset(offset))
        return cases, int(await session.scalar(count) or 0)

    async def decide_review(self, session: AsyncSession, case_id: str, status: CaseStatus, by: str, at: datetime,
                            reason: str) -> None:
        await session.execute(update(orm.manual_reviews).where(orm.manual_reviews.c.id == case_id).values(
            status=status.value, decided_by=by, decided_at=at, decision_reason=reason))

    def _review_query(self) -> Any:
        r, a = orm.manual_reviews, orm.accounts
        return select(r, a.c.document_type, a.c.masked_document_number).join(a, a.c.id == r.c.account_id)

    async def _reviews(self, session: AsyncSession, query: Any) -> list[ManualReview]:
        rows = (await session.execute(query)).mappings().all()
        photos = await self._photo_ids(session, REVIEW, [row["id"] for row in rows])
        return [
            ManualReview(
                id=row["id"], account_id=row["account_id"], status=CaseStatus(row["status"]), name=row["name"],
                note=row["note"] or "", submitted_at=aware(row["submitted_at"]),  # type: ignore[arg-type]
                due_date=row["due_date"], decided_by=row["decided_by"], decided_at=aware(row["decided_at"]),
                decision_reason=row["decision_reason"] or "", photo_ids=photos.get(row["id"], ()),
                document_type=row["document_type"], masked_document_number=row["masked_document_number"],
                escalated_at=aware(row["escalated_at"]),
            )
            for row in rows
        ]

    async def escalate_overdue_reviews(self, session: AsyncSession, today: date, at: datetime) -> list[str]:
        """R-STAFF-10: mark the pending reviews whose due date is before ``today`` and that were not
        escalated yet; returns their ids (each case is escalated once)."""
        c = orm.manual_reviews.c
        overdue = (c.status == CaseStatus.PENDING.value, c.due_date < today, c.escalated_at.is_(None))
        ids = list(await session.scalars(select(c.id).where(*overdue).with_for_update()))
        if ids:
            await session.execute(update(orm.manual_reviews).where(c.id.in_(ids)).values(escalated_at=at))
        return ids

    async def count_overdue_reviews(self, session: AsyncSession, today: date) -> int:
        c = orm.manual_reviews.c
        query = select(func.count()).where(c.status == CaseStatus.PENDING.value, c.due_date < today)
        return int(await session.scalar(query) or 0)

    # --- support requests (R-ID-10, R-ID-11) ------------------------------------------------

    async def add_support_request(self, session: AsyncSession, request: SupportRequest) -> None:
        seal = self.crypto.seal_optional
        await session.execute(insert(orm.support_requests).values(
            id=request.id, account_id=request.account_id, kind=request.kind.value, status=request.status.value,
            requested_name=request.requested_name or None, requested_gender=request.requested_gender or None,
            requested_email_enc=seal(SUPPORT_TABLE, request.id, "requested_email", request.requested_email),
            requested_mobile_enc=seal(SUPPORT_TABLE, request.id, "requested_mobile", request.requested_mobile),
            explanation=request.explanation, created_at=request.created_at,
            without_sign_in=request.without_sign_in, claimed_name=request.claimed_name or None,
        ))

    async def support_request(self, session: AsyncSession, request_id: str, *, for_update: bool = False
                              ) -> SupportRequest | None:
        query = self._support_query().where(orm.support_requests.c.id == request_id)
        if for_update:
            query = query.with_for_update(of=orm.support_requests)
        found = await self._support_requests(session, query)
        return found[0] if found else None

    async def list_support_requests(self, session: AsyncSession, status: str | None, limit: int, offset: int
                                    ) -> tuple[list[SupportRequest], int]:
        c = orm.support_requests.c
        query = self._support_query()
        count = select(func.count()).select_from(orm.support_requests)
        if status:
            query, count = query.where(c.status == status), count.where(c.status == status)
        found = await self._support_requests(session, query.order_by(c.created_at).limit(limit).offset(offset))
        return found, int(await session.scalar(count) or 0)

    async def decide_support_request(self, session: AsyncSession, request_id: str, status: CaseStatus, by: str,
                                     at: datetime, reason: str) -> None:
        await session.execute(update(orm.support_requests).where(orm.support_requests.c.id == request_id).values(
            status=status.value, decided_by=by, decided_at=at, decision_reason=reason))

    def _support_query(self) -> Any:
        s, a = orm.support_requests, orm.accounts
        return select(s, a.c.name.label("account_name"), a.c.masked_document_number).join(a, a.c.id == s.c.account_id)

    async def _support_requests(self, session: AsyncSession, query: Any) -> list[SupportRequest]:
        rows = (await session.execute(query)).mappings().all()
        photos = await self._photo_ids(session, SUPPORT, [row["id"] for row in rows])
        opened = self.crypto.open_optional
        return [
            SupportRequest(
                id=row["id"], account_id=row["account_id"], kind=SupportKind(row["kind"]),
                status=CaseStatus(row["status"]), explanation=row["explanation"] or "",
                created_at=aware(row["created_at"]),  # type: ignore[arg-type]
                requested_name=row["requested_name"] or "", requested_gender=row["requested_gender"] or "",
                requested_email=opened(SUPPORT_TABLE, row["id"], "requested_email", row["requested_email_enc"]),
                requested_mobile=opened(SUPPORT_TABLE, row["id"], "requested_mobile", row["requested_mobile_enc"]),
                decided_by=row["decided_by"], decided_at=aware(row["decided_at"]),
                decision_reason=row["decision_reason"] or "", photo_ids=photos.get(row["id"], ()),
                name=row["account_name"], masked_document_number=row["masked_document_number"],
                without_sign_in=bool(row["without_sign_in"]), claimed_name=row["claimed_name"] or "",
            )
            for row in rows
        ]

    # --- audit (R-STAFF-4) ------------------------------------------------------------------

    async def audit(self, session: AsyncSession, *, at: datetime, staff_id: str, role: str, organisation_code: str,
                    action: str, target_kind: str, target_id: str, decision: str, reason: str) -> None:
        await session.execute(insert(orm.staff_audit).values(
            at=at, staff_id=staff_id, role=role, organisation_code=organisation_code, action=action,
            target_kind=target_kind, target_id=target_id, decision=decision, reason=reason))
