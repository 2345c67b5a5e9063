"""Images of the slider puzzle (R-ID-5), drawn on the server with Pillow.

The background is new every time (random gradients, shapes and noise) so that stored images or
a lookup table of backgrounds do not help a script. A jigsaw-shaped gap is shaded into it at a
random position; the piece is the cut-out of the unshaded background as a separate transparent
PNG. The piece image is only as large as the piece itself, so it tells nothing about x; its y is
given to the client because the piece must be drawn at that height.

Issuing one must stay cheap: every sign-in page asks for one. The background is a JPEG (a noisy
picture is what JPEG is for: about 10 KB, encoded in a fraction of a millisecond, where the PNG was
95 KB and 13 ms), and noise and speckles come from random bytes in one call rather than a loop of
draw calls (README, "Security notes", has the figures).
"""

from __future__ import annotations

import io
import secrets
from dataclasses import dataclass
from random import Random

from PIL import Image, ImageChops, ImageDraw, ImageFilter

WIDTH = 320
HEIGHT = 160
PIECE_BODY = 44
KNOB_RADIUS = 8
SUPERSAMPLE = 4  # the mask is drawn larger and scaled down, which gives smooth edges
GAP_SHADE_ALPHA = 0.6  # how dark the gap is: clearly visible, yet the texture shows through
EDGE_MARGIN = 4
BACKGROUND_MEDIA_TYPE = "image/jpeg"
JPEG_QUALITY = 80
SPECKLE_SHARE = 7  # of 256: about one pixel in 37 is a speckle


_SMALL_RAMP = Image.linear_gradient("L").resize((64, 64), Image.Resampling.BILINEAR)


@dataclass(frozen=True)
class SliderPuzzle:
    """One drawn puzzle. ``gap_x`` is the secret; everything else may go to the client."""

    background_image: bytes  # BACKGROUND_MEDIA_TYPE
    piece_png: bytes
    gap_x: int
    gap_y: int
    width: int
    height: int
    piece_width: int
    piece_height: int


def jigsaw_mask(body: int = PIECE_BODY, knob: int = KNOB_RADIUS) -> Image.Image:
    """An 'L' mask of a jigsaw piece: a square with knobs on top and right and a notch on the left."""
    s = SUPERSAMPLE
    size = (body + knob) * s
    mask = Image.new("L", (size, size), 0)
    draw = ImageDraw.Draw(mask)
    top = knob * s
    draw.rectangle((0, top, body * s - 1, top + body * s - 1), fill=255)
    draw.ellipse(_circle(body * s / 2, top, knob * s), fill=255)  # top knob
    draw.ellipse(_circle(body * s, top + body * s / 2, knob * s), fill=255)  # right knob
    draw.ellipse(_circle(0, top + body * s / 2, knob * s * 0.8), fill=0)  # left notch
    return mask.resize((body + knob, body + knob), Image.Resampling.LANCZOS)


def _circle(cx: float, cy: float, r: float) -> tuple[float, float, float, float]:
    return (cx - r, cy - r, cx + r, cy + r)


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG")  # Pillow writes no text chunks unless asked: no metadata leaks
    return buffer.getvalue()


def _jpeg(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=JPEG_QUALITY)  # a bare JFIF header: no EXIF, no comment
    return buffer.getvalue()


class SliderChallengeFactory:
    """Draws puzzles; ``rng`` defaults to the operating system's random source."""

    def __init__(self, width: int = WIDTH, height: int = HEIGHT, rng: Random | None = None) -> None:
        self._mask = jigsaw_mask()
        self.width = width
        self.height = height
        self._rng: Random = rng or secrets.SystemRandom()
        piece_w, piece_h = self._mask.size
        if width < 3 * piece_w or height < piece_h + 2 * EDGE_MARGIN:
            raise ValueError("the background is too small for the piece")

    def make(self) -> SliderPuzzle:
        rng = self._rng
        piece_w, piece_h = self._mask.size
        # The piece starts at x = 0 on the track, so the gap never overlaps that starting place.
        gap_x = rng.randint(piece_w + 2 * EDGE_MARGIN, self.width - piece_w - EDGE_MARGIN)
        gap_y = rng.randint(EDGE_MARGIN, self.height - piece_h - EDGE_MARGIN)
        background = self._background()
        box = (gap_x, gap_y, gap_x + piece_w, gap_y + piece_h)
        outline = self._mask.filter(ImageFilter.FIND_EDGES)

        piece = background.crop(box).convert("RGBA")
        piece.paste((255, 255, 255), (0, 0), outline.point(lambda v: int(v * 0.8)))
        piece.putalpha(self._mask)

        shade = self._mask.point(lambda v: int(v * GAP_SHADE_ALPHA))
        background.paste((0, 0, 0), box[:2], shade)
        background.paste((255, 255, 255), box[:2], outline.point(lambda v: int(v * 0.5)))
        return SliderPuzzle(
            background_image=_jpeg(background),
            piece_png=_png(piece),
            gap_x=gap_x,
            gap_y=gap_y,
            width=self.width,
            height=self.height,
            piece_width=piece_w,
            piece_height=piece_h,
        )

    def _background(self) -> Image.Image:
        size = (self.width, self.height)
        image = self._gradient(size)
        image = Image.blend(image, self._gradient(size), self._rng.uniform(0.3, 0.6))
        image = self._shapes(image.convert("RGBA")).convert("RGB")
        # Noise and speckles from our own random source in one call each (Pillow's effect_noise
        # repeats from one process start to the next; a Python loop of points cost milliseconds).
        pixels = self.width * self.height
        noise = Image.frombytes("RGB", size, self._rng.randbytes(3 * pixels))
        image = Image.blend(image, noise, self._rng.uniform(0.06, 0.12))
        speckles = Image.new("RGB", size, self._colour())
        speckle_mask = Image.frombytes("L", size, self._rng.randbytes(pixels)).point(
            lambda v: 140 if v < SPECKLE_SHARE else 0)
        return ImageChops.composite(speckles, image, speckle_mask)

    def _colour(self, alpha: int | None = None) -> tuple[int, ...]:
        rgb = tuple(self._rng.randint(20, 235) for _ in range(3))
        return rgb if alpha is None else (*rgb, alpha)

    def _gradient(self, size: tuple[int, int]) -> Image.Image:
        # A smooth ramp loses nothing at 64 px: rotated small, then scaled up (a quarter of the work
        # of rotating the full 256 px ramp).
        ramp = _SMALL_RAMP.rotate(self._rng.uniform(0, 360), Image.Resampling.BILINEAR)
        ramp = ramp.crop((10, 10, 54, 54)).resize(size, Image.Resampling.BILINEAR)  # inside the rotation
        start = Image.new("RGB", size, self._colour())
        end = Image.new("RGB", size, self._colour())
        return Image.composite(start, end, ramp)

    def _shapes(self, image: Image.Image) -> Image.Image:
        overlay = Image.new("RGBA", image.size, (0, 0, 0, 0))
        draw = ImageDraw.Draw(overlay)
        rng = self._rng
        for _ in range(rng.randint(10, 18)):
            x0, y0 = rng.randrange(-20, self.width), rng.randrange(-20, self.height)
            x1, y1 = x0 + rng.randint(12, 90), y0 + rng.randint(12, 70)
            fill = self._colour(rng.randint(70, 170))
            kind = rng.randrange(4)
            if kind == 0:
                draw.ellipse((x0, y0, x1, y1), fill=fill)
            elif kind == 1:
                draw.rectangle((x0, y0, x1, y1), fill=fill)
            elif kind == 2:
                points = [(rng.randint(x0, x1), rng.randint(y0, y1)) for _ in range(rng.randint(3, 6))]
                draw.polygon(points, fill=fill)
            else:
                draw.line((x0, y0, x1, y1), fill=fill, width=rng.randint(2, 6))
        return Image.alpha_composite(image, overlay)
