"""Photos of identity documents in the service's own storage directory.

The type is decided by the content, never by the file name the person sent: Pillow must recognise
a JPEG or PNG and the image must verify. Files are named by a random id, so nothing personal
appears in the path. A photo of an identity document shows its number, so the file holds the photo
encrypted with the personal-data keyring (bound to its own path, so files cannot be swapped).
Writes go to a temporary name first and are renamed, so a crash never leaves half a photo under a
name the database points to.
"""

from __future__ import annotations

import asyncio
import base64
import io
import os
import uuid
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, UnidentifiedImageError
from servicekit.errors import FieldProblem, InvalidInput

from tqr_identity.adapters.crypto.personal_data import PersonalDataCipher

RULE = "R-ID-9"
FIELD = "photos"
CONTENT_TYPES = {"JPEG": ("image/jpeg", "jpg"), "PNG": ("image/png", "png")}
# A decompression bomb (a tiny file that decodes to gigapixels) is refused, not decoded.
MAX_PIXELS = 40_000_000


@dataclass(frozen=True)
class CheckedPhoto:
    content: bytes
    content_type: str
    extension: str


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
    content_type, extension = CONTENT_TYPES[kind]
    return CheckedPhoto(content, content_type, extension)


def _raise(error: InvalidInput) -> CheckedPhoto:
    raise error


class PhotoStorage:
    def __init__(self, directory: str | Path, max_bytes: int, cipher: PersonalDataCipher) -> None:
        self.directory = Path(directory)
        self.max_bytes = max_bytes
        self.cipher = cipher

    def check(self, content: bytes) -> CheckedPhoto:
        return check_photo(content, self.max_bytes)

    async def save(self, owner_id: str, photo: CheckedPhoto) -> str:
        """Store the photo; returns its path relative to the storage directory."""
        relative = f"{owner_id}/{uuid.uuid4().hex}.{photo.extension}.enc"
        sealed = self.cipher.encrypt(base64.b64encode(photo.content).decode(), f"photo:{relative}")
        await asyncio.to_thread(self._write, relative, sealed.encode())
        return relative

    async def read(self, relative: str) -> bytes:
        stored = await asyncio.to_thread(self._path(relative).read_bytes)
        return base64.b64decode(self.cipher.decrypt(stored.decode(), f"photo:{relative}"))

    async def delete(self, relative: str) -> None:
        await asyncio.to_thread(self._path(relative).unlink, True)

    def _path(self, relative: str) -> Path:
        path = (self.directory / relative).resolve()
        if self.directory.resolve() not in path.parents:
            raise ValueError("photo path escapes the storage directory")
        return path

    def _write(self, relative: str, content: bytes) -> None:
        path = self._path(relative)
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(path.suffix + ".part")
        with open(temporary, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        temporary.replace(path)
