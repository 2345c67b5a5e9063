"""Tiny stand-in certificate photos: a plain head-and-shoulders silhouette on the usual ID-photo
backgrounds. Two-colour palette PNGs of a few hundred bytes, so the demo set stays small."""

from __future__ import annotations

import io
from functools import lru_cache

from PIL import Image, ImageDraw

WIDTH, HEIGHT = 66, 88  # the 1-inch photo's 3:4 proportion at a thumbnail size
BACKGROUNDS: dict[str, tuple[int, int, int]] = {
    "blue": (67, 142, 219),
    "white": (245, 245, 245),
    "red": (200, 40, 40),
}
SILHOUETTE = (70, 70, 80)


@lru_cache(maxsize=len(BACKGROUNDS))
def silhouette_png(background: str = "blue") -> bytes:
    image = Image.new("P", (WIDTH, HEIGHT), 0)
    image.putpalette([*BACKGROUNDS[background], *SILHOUETTE] + [0] * (3 * 254))
    draw = ImageDraw.Draw(image)
    draw.ellipse((WIDTH * 0.3, HEIGHT * 0.16, WIDTH * 0.7, HEIGHT * 0.56), fill=1)  # head
    draw.ellipse((WIDTH * 0.08, HEIGHT * 0.6, WIDTH * 0.92, HEIGHT * 1.35), fill=1)  # shoulders
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True, bits=1)
    return out.getvalue()
