"""Photos of identity documents: checked by their content, kept encrypted in the service's database.

The type is decided by the content, never by the file name the person sent: Pillow must recognise
a JPEG or PNG and the image must verify. A photo of an identity document shows its number, so its
bytes are sealed with the personal-data keyring (AES-256-GCM, bound to the photo's id, so a blob
copied into another row does not open) and stored with the id of the key that sealed them, so a key
rotation still opens older photos. They live in the database every replica shares (table
``photo_contents``), in the same transaction as the case that names them: a photo outlives the
process that received it, and is never left behind by a request that failed.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError
from servicekit.errors import FieldProblem, InvalidInput
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from tqr_identity.adapters import orm
from tqr_identity.adapters.crypto.personal_data import PersonalDataCipher

RULE = "R-ID-9"
FIELD = "photos"
CONTENT_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png"}
# A decompression bomb (a tiny file that decodes to gigapixels) is refused, not decoded.
MAX_PIXELS = 40_000_000


@dataclass(frozen=True)
class CheckedPhoto:
    content: bytes
    content_type: str

    def __repr__(self) -> str:  # never the bytes of a document in a log line or a traceback
        return f"CheckedPhoto({self.content_type}, {len(self.content)} bytes)"


def _problem(zh: str, en: str) -> InvalidInput:
    return InvalidInput([FieldProblem(FIELD, RULE, zh, en)], code=RULE)


def check_photo(content: bytes, max_bytes: int) -> CheckedPhoto:
    """The photo with its type, or InvalidInput saying what to do."""
    if not content:
        return _raise(_problem("请上传证件照片", "Upload a photo of the document"))
    if len(content) > max_bytes:
        limit = max(1, max_bytes // (1024 * 1024))
        return _raise(_problem(f"照片不能超过 {limit} MB，请压缩后再上传",
                               f"A photo may be at most {limit} MB; make it smaller and upload it again"))
    try:
        with Image.open(io.BytesIO(content)) as image:
            kind = image.format or ""
            width, height = image.size
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        kind, width, height = "", 0, 0
    if kind not in CONTENT_TYPES or width * height > MAX_PIXELS or width == 0:
        return _raise(_problem("照片须为 JPG 或 PNG 格式的图片", "The photo must be a JPG or PNG image"))
    return CheckedPhoto(content, CONTENT_TYPES[kind])


def _raise(error: InvalidInput) -> CheckedPhoto:
    raise error


class PhotoStorage:
    def __init__(self, max_bytes: int, cipher: PersonalDataCipher) -> None:
        self.max_bytes = max_bytes
        self.cipher = cipher

    def check(self, content: bytes) -> CheckedPhoto:
        return check_photo(content, self.max_bytes)

    async def save(self, session: AsyncSession, photo_id: str, photo: CheckedPhoto) -> None:
        """Seal and store the bytes of the photo whose ``stored_photos`` row the session just added."""
        key_id, sealed = self.cipher.encrypt_bytes(photo.content, _place(photo_id))
        await session.execute(insert(orm.photo_contents).values(photo_id=photo_id, key_id=key_id, sealed=sealed))

    async def read(self, session: AsyncSession, photo_id: str) -> bytes | None:
        """The photo's bytes; None when none are stored (photos taken before they were kept here)."""
        t = orm.photo_contents
        row = (await session.execute(select(t.c.key_id, t.c.sealed).where(t.c.photo_id == photo_id))).first()
        if row is None:
            return None
        return self.cipher.decrypt_bytes(row.key_id, bytes(row.sealed), _place(photo_id))


def _place(photo_id: str) -> str:
    """Associated data: the sealed bytes open only in their own row."""
    return f"photo_contents:{photo_id}:sealed"
