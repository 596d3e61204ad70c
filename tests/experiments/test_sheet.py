"""The contact sheet: sized by its grid, every value labelled, bad pictures drawn as such,
bounded in cell size and pixels whatever the grid."""

from __future__ import annotations

import io
from dataclasses import dataclass
from itertools import product

import pytest
from PIL import Image, ImageFont

from playground.experiments.sheet import (
    CELL_BACKGROUND,
    GAP,
    MARGIN,
    MAX_CELL_PX,
    MAX_SHEET_PIXELS,
    MIN_CELL_PX,
    PLACEHOLDER,
    SheetCell,
    SheetTooLarge,
    fit_lines,
    label_column_width,
    layout,
    render_contact_sheet,
)
from tests.support import bomb_png

RED = (200, 30, 30)
FONT = ImageFont.load_default(size=14)
BLUE = (30, 30, 200)


@dataclass(frozen=True)
class Axis:
    label: str
    value_labels: tuple[str, ...]


GUIDANCE = Axis("Guidance scale", ("1", "3", "5"))
STEPS = Axis("Steps", ("4", "8", "12"))
SEED = Axis("Seed", ("1", "2"))


def axis(label: str, count: int) -> Axis:
    return Axis(label, tuple(str(n) for n in range(count)))


def picture(path, colour=RED, size=(300, 300)):
    Image.new("RGB", size, colour).save(path)
    return path


def render(axes, cells, cell_px=96, title="Guidance x steps") -> Image.Image:
    png = render_contact_sheet(title=title, axes=axes, cells=cells, cell_px=cell_px)
    return Image.open(io.BytesIO(png)).convert("RGB")


def ink(sheet: Image.Image, box) -> int:
    """How many pixels of the box are dark: text drawn there."""
    return sum(sheet.crop(box).convert("L").histogram()[:140])


def centre(box) -> tuple[int, int]:
    return (box[0] + box[2]) // 2, (box[1] + box[3]) // 2


def test_the_sheet_is_as_wide_as_its_columns_and_label_column():
    placed = layout(title="t", axes=[GUIDANCE, STEPS], cell_px=128)

    label_column = label_column_width(128) + GAP
    assert placed.width == MARGIN + label_column + 3 * 128 + 2 * GAP + MARGIN


def test_each_more_column_or_row_adds_one_cell_and_a_gap():
    base = layout(title="t", axes=[axis("x", 3), axis("y", 2)], cell_px=128)
    wider = layout(title="t", axes=[axis("x", 4), axis("y", 2)], cell_px=128)
    taller = layout(title="t", axes=[axis("x", 3), axis("y", 3)], cell_px=128)

    assert (wider.width - base.width, wider.height - base.height) == (128 + GAP, 0)
    assert (taller.width - base.width, taller.height - base.height) == (0, 128 + GAP)


def test_the_png_has_the_size_of_its_layout():
    cells = [SheetCell((x, y), None) for x, y in product(range(3), range(3))]
    placed = layout(title="Guidance x steps", axes=[GUIDANCE, STEPS], cell_px=96)

    sheet = render([GUIDANCE, STEPS], cells, cell_px=96)

    assert sheet.size == (placed.width, placed.height)


def test_cells_are_squares_in_grid_order_without_overlap():
    placed = layout(title="t", axes=[GUIDANCE, STEPS], cell_px=100)

    assert set(placed.cells) == set(product(range(3), range(3)))
    for (x, y), (left, top, right, bottom) in placed.cells.items():
        assert (right - left, bottom - top) == (100, 100)
        if x:
            assert left == placed.cells[(x - 1, y)][2] + GAP
        if y:
            assert top >= placed.cells[(x, y - 1)][3] + GAP


def test_a_3x3_grid_labels_every_value_and_both_axes():
    placed = layout(title="Guidance x steps", axes=[GUIDANCE, STEPS], cell_px=96)

    texts = {(text.role, " ".join(text.lines)) for text in placed.texts}
    assert ("title", "Guidance x steps") in texts
    assert {("axis", "Guidance scale"), ("axis", "Steps")} <= texts
    values = [" ".join(text.lines) for text in placed.texts if text.role == "value"]
    assert values == ["1", "3", "5", "4", "8", "12"]


def test_x_labels_sit_over_their_columns_and_y_labels_beside_their_rows():
    placed = layout(title="t", axes=[GUIDANCE, STEPS], cell_px=96)
    values = [text for text in placed.texts if text.role == "value"]

    for x, label in enumerate(values[:3]):
        cell = placed.cells[(x, 0)]
        assert (label.box[0], label.box[2]) == (cell[0], cell[2])
        assert label.box[3] <= cell[1]
    for y, label in enumerate(values[3:]):
        cell = placed.cells[(0, y)]
        assert (label.box[1], label.box[3]) == (cell[1], cell[3])
        assert label.box[2] <= cell[0]


def test_labels_are_drawn_and_differ_by_their_text():
    cells = [SheetCell((x, y), None) for x, y in product(range(3), range(3))]
    other = Axis("Guidance scale", ("7", "9", "11"))
    placed = layout(title="Guidance x steps", axes=[GUIDANCE, STEPS], cell_px=96)

    sheet = render([GUIDANCE, STEPS], cells)
    changed = render([other, STEPS], cells)

    for text in placed.texts:
        assert ink(sheet, text.box) > 10, text
    first_label = next(text for text in placed.texts if text.role == "value").box
    assert sheet.crop(first_label).tobytes() != changed.crop(first_label).tobytes()


def test_long_labels_are_wrapped_then_shortened_with_an_ellipsis():
    text = "a watercolour lighthouse at dusk with gulls over a stormy sea"

    lines = fit_lines(text, FONT, 90, 3)

    assert len(lines) == 3
    assert lines[-1].endswith("…")
    assert all(FONT.getlength(line) <= 90 for line in lines)
    assert " ".join(lines).startswith("a watercolour")


def test_a_word_longer_than_the_width_is_broken_not_overflowing():
    lines = fit_lines("fal-ai/stable-diffusion-v35-large", FONT, 60, 9)

    assert len(lines) > 1
    assert "".join(lines) == "fal-ai/stable-diffusion-v35-large"
    assert all(FONT.getlength(line) <= 60 for line in lines)


def test_short_labels_stay_whole():
    assert fit_lines("  3.5 \n", FONT, 90, 2) == ("3.5",)


def test_pictures_are_fitted_in_their_square_with_their_aspect_and_centred(tmp_path):
    wide = picture(tmp_path / "wide.png", BLUE, (800, 400))
    placed = layout(title="t", axes=[axis("Seed", 1)], cell_px=128)
    left, top, _, _ = placed.cells[(0,)]

    sheet = render([axis("Seed", 1)], [SheetCell((0,), wide)], cell_px=128, title="t")

    # 800x400 in a 128 square: 128x64, with 32 px of background above and below.
    assert sheet.getpixel((left + 64, top + 64)) == BLUE
    assert sheet.getpixel((left + 64, top + 33)) == BLUE
    assert sheet.getpixel((left + 64, top + 30)) == CELL_BACKGROUND
    assert sheet.getpixel((left + 64, top + 97)) == CELL_BACKGROUND


def test_missing_images_are_grey_squares_that_say_so(tmp_path):
    red = picture(tmp_path / "red.png")
    cells = [SheetCell((0, 0), red), SheetCell((1, 0), None, caption="failed")]
    placed = layout(title="t", axes=[GUIDANCE, STEPS], cell_px=96, captions=True)

    sheet = render([GUIDANCE, STEPS], cells, title="t")

    assert sheet.getpixel(centre(placed.cells[(0, 0)])) == RED
    for coords in [(1, 0), (2, 2)]:  # no image; and no cell at all
        box = placed.cells[coords]
        assert sheet.getpixel((box[0] + 2, box[1] + 2)) == PLACEHOLDER
        assert ink(sheet, box) > 10
    assert ink(sheet, placed.captions[(1, 0)]) > 5


def test_a_corrupt_or_vanished_file_is_drawn_as_failed_without_stopping_the_sheet(tmp_path):
    (tmp_path / "corrupt.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 200)
    (tmp_path / "truncated.png").write_bytes((picture(tmp_path / "ok.png")).read_bytes()[:80])
    cells = [
        SheetCell((0,), tmp_path / "corrupt.png"),
        SheetCell((1,), tmp_path / "truncated.png"),
        SheetCell((2,), tmp_path / "vanished.png"),
        SheetCell((3,), None),
        SheetCell((4,), tmp_path / "ok.png"),
    ]
    seeds = axis("Seed", 5)
    boxes = layout(title="t", axes=[seeds], cell_px=96).cells

    sheet = render([seeds], cells, title="t")

    failed = [sheet.crop(boxes[(n,)]).tobytes() for n in range(3)]
    assert failed[0] == failed[1] == failed[2]  # the same grey square saying "failed"
    assert failed[0] != sheet.crop(boxes[(3,)]).tobytes()  # not "no image"
    assert sheet.getpixel(boxes[(0,)][:2]) == PLACEHOLDER
    assert sheet.getpixel(centre(boxes[(4,)])) == RED


def test_a_picture_over_the_pixel_limit_is_failed_from_its_header(
    tmp_path, settings, monkeypatch, no_decoding
):
    settings.IMAGE_MAX_PIXELS = 1_000_000
    (tmp_path / "bomb.png").write_bytes(bomb_png(1500))
    seeds = axis("Seed", 1)
    box = layout(title="t", axes=[seeds], cell_px=96).cells[(0,)]

    cells = [SheetCell((0,), tmp_path / "bomb.png")]
    png = render_contact_sheet(title="t", axes=[seeds], cells=cells, cell_px=96)

    monkeypatch.undo()  # decoding allowed again, to read the sheet
    sheet = Image.open(io.BytesIO(png)).convert("RGB")
    assert sheet.getpixel(box[:2]) == PLACEHOLDER


def test_three_axes_stack_one_titled_block_per_z_value():
    placed = layout(title="t", axes=[GUIDANCE, STEPS, SEED], cell_px=80)

    blocks = [text for text in placed.texts if text.role == "block"]
    assert [" ".join(block.lines) for block in blocks] == ["Seed: 1", "Seed: 2"]
    assert set(placed.cells) == set(product(range(3), range(3), range(2)))
    last_of_first = max(box[3] for (_, _, z), box in placed.cells.items() if z == 0)
    first_of_second = min(box[1] for (_, _, z), box in placed.cells.items() if z == 1)
    assert last_of_first < blocks[1].box[1] < first_of_second
    # Each block is labelled on its own: the x and y values again.
    values = [" ".join(text.lines) for text in placed.texts if text.role == "value"]
    assert values == ["1", "3", "5", "4", "8", "12"] * 2


def test_three_axes_render_every_cell(tmp_path):
    red = picture(tmp_path / "red.png")
    axes = [GUIDANCE, STEPS, SEED]
    cells = [SheetCell(coords, red) for coords in product(range(3), range(3), range(2))]
    placed = layout(title="t", axes=axes, cell_px=64)

    sheet = render(axes, cells, cell_px=64, title="t")

    assert sheet.size == (placed.width, placed.height)
    assert all(sheet.getpixel(centre(box)) == RED for box in placed.cells.values())


def test_one_axis_is_one_row_without_a_label_column():
    placed = layout(title="Seeds", axes=[axis("Seed", 4)], cell_px=96)

    assert set(placed.cells) == {(0,), (1,), (2,), (3,)}
    assert {box[1] for box in placed.cells.values()} == {placed.cells[(0,)][1]}
    assert placed.cells[(0,)][0] == MARGIN


@pytest.mark.parametrize(("asked", "got"), [(8, MIN_CELL_PX), (5000, MAX_CELL_PX)])
def test_cell_size_stays_within_its_bounds(asked, got):
    assert layout(title="t", axes=[GUIDANCE], cell_px=asked).cell_px == got


def test_an_oversize_grid_shrinks_its_cells_to_fit_the_pixel_cap():
    axes = [axis("x", 10), axis("y", 10), axis("z", 10)]

    placed = layout(title="t", axes=axes, cell_px=512)

    assert MIN_CELL_PX <= placed.cell_px < 512
    assert placed.width * placed.height <= MAX_SHEET_PIXELS
    # Shrunk about as much as needed, not to the minimum: 1000 cells in 40 megapixels
    # leave about 200 px a side before labels and gaps.
    assert placed.cell_px >= 150


def test_the_sheet_also_fits_the_servers_own_pixel_limit(settings):
    settings.IMAGE_MAX_PIXELS = 300_000
    axes = [axis("x", 4), axis("y", 4)]

    sheet = render(axes, [], cell_px=256)

    assert sheet.width * sheet.height <= 300_000
    assert MIN_CELL_PX <= layout(title="Guidance x steps", axes=axes).cell_px < 256


def test_a_grid_too_large_even_for_the_smallest_cells_is_refused(settings):
    settings.IMAGE_MAX_PIXELS = 100_000

    with pytest.raises(SheetTooLarge, match="100 cells"):
        layout(title="t", axes=[axis("x", 10), axis("y", 10)])


@pytest.mark.parametrize("coords", [(3, 0), (0,), (0, 0, 0), (-1, 0)])
def test_cells_outside_the_grid_are_refused(coords):
    with pytest.raises(ValueError, match="not in a grid"):
        render_contact_sheet(title="t", axes=[GUIDANCE, STEPS], cells=[SheetCell(coords, None)])


@pytest.mark.parametrize("axes", [[], [GUIDANCE] * 4, [Axis("Empty", ())]])
def test_a_sheet_needs_one_to_three_axes_with_values(axes):
    with pytest.raises(ValueError):
        layout(title="t", axes=axes)
