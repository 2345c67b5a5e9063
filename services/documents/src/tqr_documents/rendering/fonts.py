"""The CJK fonts of the PDF, registered once per process.

WenQuanYi Micro Hei is a TrueType collection with glyf outlines, which ReportLab can subset (the
Noto CJK fonts on the machine are CFF-based and ReportLab cannot embed them). ReportLab embeds only
the glyphs a document uses, under a ``XXXXXX+`` subset name.

The same face is registered twice. ``LABEL_FONT_NAME`` draws only the fixed wording of the form, in
the same order on every form, so its subset is the same in every document and is built once per
process (building a subset is a good part of a render). ``FONT_NAME`` draws the applicant's values.
"""

from __future__ import annotations

import os
import threading
import zlib
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

FONT_NAME = "WQY"
LABEL_FONT_NAME = "WQY-Label"
DEFAULT_FONT_PATH = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"
FONT_PATH_ENV = "DOCUMENTS_CJK_FONT_PATH"

_lock = threading.Lock()
_registered: TTFont | None = None


def ensure_font() -> TTFont:
    """Registers both fonts on first use (about 0.2 s) and returns the value font; cheap afterwards."""
    global _registered
    if _registered is not None:
        return _registered
    with _lock:
        if _registered is None:
            path = os.environ.get(FONT_PATH_ENV, DEFAULT_FONT_PATH)
            labels = TTFont(LABEL_FONT_NAME, path, subfontIndex=0)
            labels.face.makeSubset = _memoised_subset(labels.face.makeSubset)
            labels.face.addSubsetObjects = _compressed_once(labels.face)
            # ReportLab merges fonts that share a face name; a distinct name keeps the two apart.
            labels.face.name = labels.face.name + b"Labels"
            pdfmetrics.registerFont(labels)
            values = TTFont(FONT_NAME, path, subfontIndex=0)
            pdfmetrics.registerFont(values)
            _registered = values
    return _registered


def _memoised_subset(make_subset: Callable[[list[int]], bytes]) -> Callable[[list[int]], bytes]:
    """A subset is a pure function of the code points listed, in order: remember the last few."""

    @lru_cache(maxsize=8)
    def cached(codes: tuple[int, ...]) -> bytes:
        return make_subset(list(codes))

    def make(subset: list[int]) -> bytes:
        return cached(tuple(subset))

    return make


class _RememberingFlate:
    """FlateDecode that remembers its last outputs: the label subset is the same in every document,
    and compressing it again would cost more than drawing the whole page."""

    pdfname = "FlateDecode"

    def __init__(self) -> None:
        self._compressed: dict[bytes, bytes] = {}

    def encode(self, data: bytes) -> bytes:
        found = self._compressed.get(data)
        if found is None:
            found = zlib.compress(data)
            if len(self._compressed) >= 8:
                self._compressed.clear()
            self._compressed[data] = found
        return found


def _compressed_once(face: Any) -> Callable[..., Any]:
    """Wraps ``addSubsetObjects`` so that the embedded label subset uses ``_RememberingFlate``.

    Relies on ReportLab naming the font-file stream ``fontFile:<file>(<name>)``; if a future version
    names it differently the stream is simply compressed as usual.
    """
    original = face.addSubsetObjects
    flate = _RememberingFlate()

    def add_subset_objects(doc: Any, fontname: str, subset: list[int]) -> Any:
        reference = original(doc, fontname, subset)
        stream = doc.idToObject.get(f"fontFile:{face.filename}({fontname})")
        if stream is not None and doc.compression:
            stream.filters = [flate]
        return reference

    return add_subset_objects


def missing_glyphs(text: str) -> set[str]:
    """Characters of ``text`` the font cannot draw (they would print as empty boxes)."""
    char_to_glyph = ensure_font().face.charToGlyph
    return {ch for ch in text if not ch.isspace() and ord(ch) not in char_to_glyph}
