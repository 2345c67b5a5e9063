"""Photos of identity documents, as uploaded by applicants and shown to identity reviewers: only
JPEG and PNG, judged by their bytes, and small enough that two photos and a form fit one request."""

from __future__ import annotations

MAX_PHOTO_BYTES = 3 * 1024 * 1024  # two photos and the form fit in the 8 MiB body limit
PHOTO_TYPES = frozenset({"image/jpeg", "image/png"})


def photo_type(content: bytes) -> str:
    """"image/jpeg", "image/png", or "" for anything else, judged by the bytes, not the name."""
    if content.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    return ""
