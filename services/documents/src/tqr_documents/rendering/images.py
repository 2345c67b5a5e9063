"""Pictures on the form: the registry photo and the form code QR.

Both are prepared once and cached, so rendering the same applicant's form again (another format,
a reprint) neither decodes the photo nor encodes the QR a second time.
"""

from __future__ import annotations

import io
import logging
from functools import lru_cache

import segno
from PIL import Image

log = logging.getLogger(__name__)

# The photo prints about 19 x 25 mm; 300 x 400 px is well above 300 dpi at that size.
PHOTO_PIXELS = (300, 400)
MAX_SOURCE_PIXELS = 40_000_000  # refuse decompression bombs before decoding
QR_ERROR_LEVEL = "m"  # survives a fold or a smudge on paper
# Every mask pattern gives a valid symbol; the encoder's search for the "best" one (scoring all eight
# against the standard's penalty rules) cost more than the rest of the PDF page. A fixed mask keeps
# the codes as readable for today's decoders (a test scans a few hundred of them).
QR_MASK = 6


@lru_cache(maxsize=512)
def normalized_photo(photo: bytes) -> bytes | None:
    """The photo as a small RGB baseline JPEG, or None when it cannot be read.

    ReportLab embeds a JPEG as is (DCTDecode), so a small normalised JPEG makes every render cheap
    whatever format and size the registry stored.
    """
    try:
        with Image.open(io.BytesIO(photo)) as source:
            if source.width * source.height > MAX_SOURCE_PIXELS:
                log.warning("registry photo too large to print (%dx%d)", source.width, source.height)
                return None
            source.load()
            image = _on_white(source)
    except (OSError, ValueError, Image.DecompressionBombError):
        log.warning("registry photo unreadable; the form shows the photo box instead")
        return None
    image.thumbnail(PHOTO_PIXELS)
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=85)
    return out.getvalue()


def _on_white(image: Image.Image) -> Image.Image:
    if image.mode in ("RGBA", "LA", "P"):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")


@lru_cache(maxsize=1024)
def qr_runs(code_text: str) -> tuple[int, tuple[tuple[int, int, int], ...]]:
    """The QR as (modules per side, dark runs (row, first column, length)), without quiet zone.

    Runs let the PDF draw one rectangle per horizontal stretch instead of one per module.
    """
    qr = _encode(code_text)
    runs: list[tuple[int, int, int]] = []
    matrix = qr.matrix
    for row_index, row in enumerate(matrix):
        start = -1
        for col, dark in enumerate(row):
            if dark and start < 0:
                start = col
            elif not dark and start >= 0:
                runs.append((row_index, start, col - start))
                start = -1
        if start >= 0:
            runs.append((row_index, start, len(row) - start))
    return len(matrix), tuple(runs)


@lru_cache(maxsize=256)
def qr_png(code_text: str) -> bytes:
    """The QR as a PNG with its quiet zone, for the Word document."""
    out = io.BytesIO()
    _encode(code_text).save(out, kind="png", scale=8, border=4)
    return out.getvalue()


def _encode(code_text: str) -> segno.QRCode:
    return segno.make(code_text, error=QR_ERROR_LEVEL, micro=False, mask=QR_MASK)
