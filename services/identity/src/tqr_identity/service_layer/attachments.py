"""Photos attached to a manual review or a support request: checked, stored, recorded."""

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


async def save_files(ctx: IdentityContext, owner_id: str, photos: list[CheckedPhoto]) -> list[tuple[str, CheckedPhoto]]:
    """Files first, rows later (in the caller's transaction); ``discard`` removes them on failure."""
    return [(await ctx.photos.save(owner_id, photo), photo) for photo in photos]


async def discard(ctx: IdentityContext, saved: list[tuple[str, CheckedPhoto]]) -> None:
    for relative, _ in saved:
        await ctx.photos.delete(relative)


async def record(ctx: IdentityContext, session: AsyncSession, saved: list[tuple[str, CheckedPhoto]], *,
                 owner_kind: str, owner_id: str, account_id: str) -> None:
    for relative, photo in saved:
        await ctx.cases.add_photo(session, StoredPhoto(
            str(uuid.uuid4()), owner_kind, owner_id, account_id, relative, photo.content_type, len(photo.content),
        ), ctx.now())


async def read_photo(ctx: IdentityContext, caller: Caller, photo_id: str) -> tuple[str, bytes]:
    """(content type, bytes): identity reviewers see every photo, an applicant only their own."""
    async with ctx.reading() as session:
        photo = await ctx.cases.photo(session, photo_id)
    allowed = photo is not None and (
        caller.role == Role.IDENTITY_REVIEWER.value
        or (caller.role == Role.APPLICANT.value and caller.subject_id == photo.account_id)
    )
    if photo is None or not allowed:
        raise NotFound("PHOTO_NOT_FOUND", "未找到该照片", "Photo not found")
    return photo.content_type, await ctx.photos.read(photo.relative_path)
