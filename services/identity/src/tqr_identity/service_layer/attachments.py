"""Photos attached to a manual review or a support request: checked, then stored with the case."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from servicekit.errors import FieldProblem, InvalidInput, NotFound
from sqlalchemy.ext.asyncio import AsyncSession

from tqr_identity.adapters.photo_storage import CheckedPhoto
from tqr_identity.service_layer.access import Caller
from tqr_identity.service_layer.context import IdentityContext
from tqr_identity.service_layer.model import Role, StoredPhoto


@dataclass(frozen=True)
class Upload:
    file_name: str
    content: bytes

    def __repr__(self) -> str:
        return f"Upload({len(self.content)} bytes)"


def check_uploads(ctx: IdentityContext, uploads: Sequence[Upload], rule: str) -> list[CheckedPhoto]:
    if not uploads:
        raise InvalidInput([FieldProblem("photos", rule, "请上传证件照片", "Upload a photo of the document")],
                           code=rule)
    limit = ctx.settings.max_photos
    if len(uploads) > limit:
        raise InvalidInput([FieldProblem("photos", rule, f"最多上传 {limit} 张照片",
                                         f"Upload at most {limit} photos")], code=rule)
    return [ctx.photos.check(upload.content) for upload in uploads]


async def record(ctx: IdentityContext, session: AsyncSession, photos: list[CheckedPhoto], *,
                 owner_kind: str, owner_id: str, account_id: str) -> None:
    """Each photo's row and its sealed bytes, in the caller's transaction (with the case they belong to)."""
    for photo in photos:
        photo_id = str(uuid.uuid4())
        await ctx.cases.add_photo(session, StoredPhoto(
            photo_id, owner_kind, owner_id, account_id, photo.content_type, len(photo.content),
        ), ctx.now())
        await ctx.photos.save(session, photo_id, photo)


async def read_photo(ctx: IdentityContext, caller: Caller, photo_id: str) -> tuple[str, bytes]:
    """(content type, bytes): identity reviewers see every photo, an applicant only their own."""
    async with ctx.reading() as session:
        photo = await ctx.cases.photo(session, photo_id)
        allowed = photo is not None and (
            caller.role == Role.IDENTITY_REVIEWER.value
            or (caller.role == Role.APPLICANT.value and caller.subject_id == photo.account_id)
        )
        content = await ctx.photos.read(session, photo_id) if allowed else None
    if photo is None or content is None:
        raise NotFound("PHOTO_NOT_FOUND", "未找到该照片", "Photo not found")
    return photo.content_type, content
