"""The slider images (R-ID-5): drawn fresh each time, with a visible gap where the secret x is."""

from __future__ import annotations

import io
from random import Random

from PIL import Image, ImageChops, ImageStat
from tqr_identity.security.slider_images import SliderChallengeFactory, jigsaw_mask


def _open(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def _mean_luminance_inside(image: Image.Image, mask: Image.Image) -> float:
    return ImageStat.Stat(image.convert("L"), mask).mean[0]


def test_r_id_5_background_has_a_visible_gap_at_the_secret_x() -> None:
    factory = SliderChallengeFactory()
    for _ in range(5):
        puzzle = factory.make()
        background = _open(puzzle.background_image).convert("RGB")
        piece = _open(puzzle.piece_png)
        solid = piece.getchannel("A").point(lambda v: 255 if v > 250 else 0)
        box = (puzzle.gap_x, puzzle.gap_y, puzzle.gap_x + piece.width, puzzle.gap_y + piece.height)
        under_gap = background.crop(box)
        # Inside the gap the background is clearly darker than the piece cut from the same place.
        gap_light = _mean_luminance_inside(under_gap, solid)
        piece_light = _mean_luminance_inside(piece.convert("RGB"), solid)
        assert piece_light - gap_light > 40
        assert gap_light < piece_light * 0.6
        # The shading follows the jigsaw outline: the darkening is inside the piece, not beside it.
        difference = ImageChops.difference(under_gap, piece.convert("RGB")).convert("L")
        inside = ImageStat.Stat(difference, solid).mean[0]
        assert inside > 40


def test_r_id_5_two_puzzles_differ_in_background_piece_and_position() -> None:
    factory = SliderChallengeFactory()
    first, second = factory.make(), factory.make()
    assert first.background_image != second.background_image
    assert first.piece_png != second.piece_png
    backgrounds = [_open(p.background_image).convert("L") for p in (first, second)]
    assert ImageStat.Stat(ImageChops.difference(*backgrounds)).mean[0] > 10


def test_r_id_5_piece_image_does_not_reveal_x() -> None:
    factory = SliderChallengeFactory()
    puzzles = [factory.make() for _ in range(6)]
    assert len({p.gap_x for p in puzzles}) > 1
    sizes = {_open(p.piece_png).size for p in puzzles}
    # Always only the piece itself, whatever x is; and no text chunks that could carry data.
    assert sizes == {jigsaw_mask().size}
    for puzzle in puzzles:
        piece = _open(puzzle.piece_png)
        assert piece.mode == "RGBA"
        assert not {k for k in piece.info if k not in ("dpi", "gamma", "srgb")}
        background = _open(puzzle.background_image)
        assert background.size == (320, 160)
        assert not {k for k in background.info if k not in ("jfif", "jfif_version", "jfif_unit", "jfif_density",
                                                            "dpi")}


def test_r_id_5_gap_stays_inside_the_picture_and_off_the_starting_place() -> None:
    factory = SliderChallengeFactory(rng=Random(7))
    piece_w, piece_h = jigsaw_mask().size
    for _ in range(60):
        puzzle = factory.make()
        assert puzzle.gap_x > piece_w  # never overlapping the piece's start at x = 0
        assert puzzle.gap_x + piece_w <= puzzle.width
        assert 0 <= puzzle.gap_y and puzzle.gap_y + piece_h <= puzzle.height


def test_jigsaw_mask_has_knobs_and_a_notch() -> None:
    mask = jigsaw_mask(body=44, knob=8)
    assert mask.size == (52, 52)
    assert mask.getpixel((22, 1)) > 200  # top knob above the square
    assert mask.getpixel((50, 30)) > 200  # right knob beyond the square
    assert mask.getpixel((1, 30)) < 50  # notch cut into the left side
    assert mask.getpixel((1, 1)) == 0  # corner outside the piece


# Every sign-in page asks for a slider: what one weighs is what a page load costs the server to
# send and the person to fetch (it travels as a data URL, a third larger). The first version sent
# 96 KB; a budget of 32 KB keeps a page light on a slow mobile connection.
SLIDER_BUDGET_BYTES = 32 * 1024


def test_r_id_5_a_slider_is_light_enough_to_issue_on_every_page_load() -> None:
    factory = SliderChallengeFactory()
    sizes = [len(p.background_image) + len(p.piece_png) for p in (factory.make() for _ in range(20))]
    assert max(sizes) < SLIDER_BUDGET_BYTES, sizes
