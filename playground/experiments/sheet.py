"""The contact sheet of an experiment: its grid as one labelled PNG, drawn with Pillow.

A title, then for each z value (3 axes) a block titled "<z axis>: <value>": the x axis
title over the columns, the x value labels on top, the y value labels down the left (the y
axis title in the corner), one picture per cell fitted into a square, a caption under it.
One axis is one row. `layout` places everything without drawing (tests read it);
`render_contact_sheet` draws it.

Bounded whatever the grid: cells are 64 to 512 px and shrink until the sheet fits in
MAX_SHEET_PIXELS (and in IMAGE_MAX_PIXELS, so the server could read its own sheet); the
pictures are opened one at a time through `open_image` (refused over the pixel limit from
their header alone) and shrunk as they decode.
"""

from __future__ import annotations

import functools
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from io import BytesIO
from typing import Protocol

from PIL import Image, ImageDraw, ImageFont, ImageOps

from playground.lib.images import max_pixels, open_image
from playground.storage.files import Openable

log = logging.getLogger(__name__)

MIN_CELL_PX = 64
MAX_CELL_PX = 512
MAX_SHEET_PIXELS = 40_000_000
MARGIN = 16  # around the sheet
GAP = 6  # between cells, and between a label and what it labels
MIN_WIDTH = 360  # room for the title over a grid of one small cell
FONT_SIZES = {"title": 22, "block": 17, "axis": 15, "value": 14, "caption": 12}
REGULAR_FONT = "DejaVuSans.ttf"  # found in the system's font folders by Pillow
BOLD_FONT = "DejaVuSans-Bold.ttf"
BOLD_ROLES = frozenset({"title", "block"})
NO_IMAGE = "no image"
FAILED = "failed"

PAGE = (255, 255, 255)
INK = (34, 34, 34)
MUTED = (110, 110, 110)
CELL_BACKGROUND = (238, 238, 238)  # neutral behind pictures that do not fill their square
PLACEHOLDER = (200, 200, 200)
ELLIPSIS = "…"

Box = tuple[int, int, int, int]  # left, top, right, bottom
Coords = tuple[int, ...]
Span = tuple[int, int]  # from, to (exclusive) along one direction


class AxisLike(Protocol):
    """What the sheet reads of an axis (`playground.experiments.plan.Axis` has it)."""

    @property
    def label(self) -> str: ...

    @property
    def value_labels(self) -> Sequence[str]: ...


@dataclass(frozen=True)
class SheetCell:
    coords: tuple[int, ...]  # as Plan cells
    # The image to show (a local path or a stored file, streamed from a bucket when there);
    # None: drawn as an empty/failed cell.
    image: Openable | None
    caption: str = ""  # e.g. "failed" or "2.1 s · $0.003"


@dataclass(frozen=True)
class TextBox:
    role: str  # a key of FONT_SIZES: "title", "block" (a z value), "axis", "value"
    lines: tuple[str, ...]  # as drawn: wrapped to the box, shortened with "…"
    box: Box
    align: str = "left"  # "left" or "center"
    valign: str = "top"  # "top", "middle" or "bottom"


@dataclass(frozen=True)
class SheetLayout:
    width: int
    height: int
    cell_px: int  # the side of each picture's square, after the caps
    texts: tuple[TextBox, ...]  # the title, block titles, axis titles and value labels
    cells: dict[Coords, Box]  # the picture square of every cell of the grid
    captions: dict[Coords, Box]  # the caption line under each cell (empty without captions)


class SheetTooLarge(ValueError):
    """A grid too large for one sheet even with the smallest cells."""


def render_contact_sheet(
    *, title: str, axes: Sequence[AxisLike], cells: Sequence[SheetCell], cell_px: int = 256
) -> bytes:
    """The sheet as PNG bytes. A cell without an image, or absent from `cells`, is a grey
    square saying "no image"; one whose file cannot be read (missing, corrupt, over the
    pixel limit) says "failed". Raises ValueError for 0 or more than 3 axes, an axis
    without values or a cell whose coords are not in the grid; SheetTooLarge (a
    ValueError) for a grid that does not fit even with MIN_CELL_PX cells."""
    _check_cells(axes, cells)
    has_captions = any(cell.caption for cell in cells)
    plan = layout(title=title, axes=axes, cell_px=cell_px, captions=has_captions)
    canvas = Image.new("RGB", (plan.width, plan.height), PAGE)
    draw = ImageDraw.Draw(canvas)
    for text in plan.texts:
        _draw_text(draw, text, INK)
    by_coords = {cell.coords: cell for cell in cells}
    for coords, box in plan.cells.items():
        cell = by_coords.get(coords)
        _draw_cell(canvas, draw, box, cell.image if cell else None)
        if cell and cell.caption:
            _draw_caption(draw, plan.captions[coords], cell.caption)
    out = BytesIO()
    # Level 3: on sheets of photographs as small as the default level 6, in a third of the time.
    canvas.save(out, format="PNG", compress_level=3)
    return out.getvalue()


def layout(
    *, title: str, axes: Sequence[AxisLike], cell_px: int = 256, captions: bool = False
) -> SheetLayout:
    """Where everything goes. `cell_px` is clamped to MIN_CELL_PX..MAX_CELL_PX, then
    lowered until the sheet fits `sheet_pixel_limit()`; raises SheetTooLarge when even
    MIN_CELL_PX cells do not fit, ValueError for 0 or more than 3 axes or an empty axis."""
    _check_axes(axes)
    limit = sheet_pixel_limit()
    side = min(max(cell_px, MIN_CELL_PX), MAX_CELL_PX)
    while True:
        placed = _place(title, axes, side, captions)
        pixels = placed.width * placed.height
        if pixels <= limit:
            return placed
        if side == MIN_CELL_PX:
            raise SheetTooLarge(
                f"A grid of {_grid_size(axes)} cells does not fit in one contact sheet "
                f"of {limit / 1e6:g} megapixels."
            )
        # Area grows about as the square of the side: one or two steps get there.
        side = max(MIN_CELL_PX, min(side - 1, int(side * math.sqrt(limit / pixels))))


def sheet_pixel_limit() -> int:
    return min(MAX_SHEET_PIXELS, max_pixels())


def label_column_width(cell_px: int) -> int:
    """The width of the y value labels' column: as wide as a cell, within 96..200 px."""
    return min(max(cell_px, 96), 200)


def _check_axes(axes: Sequence[AxisLike]) -> None:
    if not 1 <= len(axes) <= 3:
        raise ValueError(f"A contact sheet has 1 to 3 axes, not {len(axes)}.")
    for axis in axes:
        if not axis.value_labels:
            raise ValueError(f"The axis {axis.label!r} has no values.")


def _check_cells(axes: Sequence[AxisLike], cells: Sequence[SheetCell]) -> None:
    counts = [len(axis.value_labels) for axis in axes]
    for cell in cells:
        inside = len(cell.coords) == len(counts) and all(
            0 <= index < count for index, count in zip(cell.coords, counts, strict=True)
        )
        if not inside:
            raise ValueError(f"The cell {cell.coords} is not in a grid of {counts}.")


def _grid_size(axes: Sequence[AxisLike]) -> int:
    return math.prod(len(axis.value_labels) for axis in axes)


def _place(title: str, axes: Sequence[AxisLike], side: int, captions: bool) -> SheetLayout:
    x_axis, y_axis, z_axis = (*axes, None, None)[:3]
    label_width = label_column_width(side) if y_axis else 0
    grid_left = MARGIN + (label_width + GAP if y_axis else 0)
    grid_width = len(x_axis.value_labels) * (side + GAP) - GAP
    width = max(grid_left + grid_width + MARGIN, MIN_WIDTH)
    grid = _Grid(side=side, left=grid_left, width=grid_width, label_width=label_width)
    grid.add_line("title", title, (MARGIN, width - MARGIN))
    grid.top += GAP
    for z in range(len(z_axis.value_labels) if z_axis else 1):
        if z_axis:
            block_title = f"{z_axis.label}: {z_axis.value_labels[z]}"
            grid.add_line("block", block_title, (MARGIN, width - MARGIN))
        grid.add_block(x_axis, y_axis, z if z_axis else None, captions)
        grid.top += 2 * GAP  # blocks apart
    height = grid.top - 3 * GAP + MARGIN  # the last row's bottom, then the margin
    return SheetLayout(
        width=width,
        height=height,
        cell_px=side,
        texts=tuple(grid.texts),
        cells=grid.cells,
        captions=grid.captions,
    )


class _Grid:
    """The sheet being placed from the top down: `top` moves past what is added."""

    def __init__(self, *, side: int, left: int, width: int, label_width: int) -> None:
        self.side, self.left, self.width, self.label_width = side, left, width, label_width
        self.top = MARGIN
        self.texts: list[TextBox] = []
        self.cells: dict[Coords, Box] = {}
        self.captions: dict[Coords, Box] = {}

    def add_line(self, role: str, text: str, span: Span, align: str = "left") -> None:
        """One line of text across `span` (shortened to fit), then a gap."""
        bottom = self.top + _line_height(role)
        self._add_box(role, text, span, (self.top, bottom), align)
        self.top = bottom + GAP

    def add_block(
        self, x_axis: AxisLike, y_axis: AxisLike | None, z: int | None, captions: bool
    ) -> None:
        """The x axis title, the x value labels (the y axis title in the corner) and the
        rows of cells, each row labelled with its y value."""
        self.add_line("axis", x_axis.label, (self.left, self.left + self.width), "center")
        header = (self.top, self.top + 2 * _line_height("axis"))  # two lines of labels
        if y_axis:
            corner = (MARGIN, MARGIN + self.label_width)
            self._add_box("axis", y_axis.label, corner, header, valign="bottom")
        for x, text in enumerate(x_axis.value_labels):
            self._add_box("value", text, self._column(x), header, "center", "bottom")
        self.top = header[1] + GAP
        caption_height = _line_height("caption") + 2 if captions else 0
        for y in range(len(y_axis.value_labels) if y_axis else 1):
            self._add_row(x_axis, y_axis, y, z, caption_height)
            self.top += self.side + caption_height + GAP

    def _add_row(
        self, x_axis: AxisLike, y_axis: AxisLike | None, y: int, z: int | None, caption: int
    ) -> None:
        square = (self.top, self.top + self.side)
        if y_axis:
            column = (MARGIN, MARGIN + self.label_width)
            self._add_box("value", y_axis.value_labels[y], column, square, valign="middle")
        for x in range(len(x_axis.value_labels)):
            coords = (x, y, z)[: 1 + (y_axis is not None) + (z is not None)]
            left, right = self._column(x)
            self.cells[coords] = (left, square[0], right, square[1])
            if caption:
                self.captions[coords] = (left, square[1] + 2, right, square[1] + caption)

    def _column(self, x: int) -> Span:
        left = self.left + x * (self.side + GAP)
        return left, left + self.side

    def _add_box(
        self,
        role: str,
        text: str,
        span: Span,
        rows: Span,
        align: str = "left",
        valign: str = "top",
    ) -> None:
        """Text in the box `span` x `rows`, wrapped into as many lines as fit its height."""
        max_lines = max(1, (rows[1] - rows[0]) // _line_height(role))
        lines = fit_lines(text, _font(role), span[1] - span[0], max_lines)
        box = (span[0], rows[0], span[1], rows[1])
        self.texts.append(TextBox(role, lines, box, align, valign))


def fit_lines(
    text: str, font: ImageFont.FreeTypeFont, width: int, max_lines: int
) -> tuple[str, ...]:
    """The text wrapped at spaces into lines no wider than `width` (a word too long for a
    line is broken), at most `max_lines` of them, the last ending in "…" when text is
    left out. Runs of whitespace, newlines included, count as one space."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}" if current else word
        if font.getlength(candidate) <= width:
            current = candidate
            continue
        if current:
            lines.append(current)
        current = word
        while font.getlength(current) > width:
            cut = _longest_prefix(current, font, width)
            lines.append(current[:cut])
            current = current[cut:]
    if current:
        lines.append(current)
    if len(lines) <= max_lines:
        return tuple(lines)
    last = lines[max_lines - 1]
    shortened = last[: _longest_prefix(last, font, width, suffix=ELLIPSIS)].rstrip()
    return (*lines[: max_lines - 1], shortened + ELLIPSIS)


def _longest_prefix(text: str, font: ImageFont.FreeTypeFont, width: int, suffix: str = "") -> int:
    """How many characters of `text` fit in `width` followed by `suffix` (at least one
    without a suffix, so breaking a word always moves on)."""
    low, high = 0, len(text)
    while low < high:
        middle = (low + high + 1) // 2
        if font.getlength(text[:middle] + suffix) <= width:
            low = middle
        else:
            high = middle - 1
    return low if suffix else max(low, 1)


@functools.cache
def _font(role: str) -> ImageFont.FreeTypeFont:
    """DejaVu Sans when the system has it (accents, Greek, Cyrillic...), bold for the
    title and block titles; else the font Pillow ships (Aileron: Latin letters without
    accents, but always there)."""
    size = FONT_SIZES[role]
    try:
        return ImageFont.truetype(BOLD_FONT if role in BOLD_ROLES else REGULAR_FONT, size)
    except OSError:
        return ImageFont.load_default(size=size)


def _line_height(role: str) -> int:
    ascent, descent = _font(role).getmetrics()
    return ascent + descent


def _draw_text(draw: ImageDraw.ImageDraw, text: TextBox, colour: tuple[int, int, int]) -> None:
    left, top, right, bottom = text.box
    line_height = _line_height(text.role)
    spare = bottom - top - len(text.lines) * line_height
    y = top + {"top": 0, "middle": spare // 2, "bottom": spare}[text.valign]
    x, anchor = ((left + right) // 2, "ma") if text.align == "center" else (left, "la")
    for line in text.lines:
        draw.text((x, y), line, font=_font(text.role), fill=colour, anchor=anchor)
        y += line_height


def _draw_cell(canvas: Image.Image, draw: ImageDraw.ImageDraw, box: Box, image: Openable | None):
    """The picture centred in its square, or a grey square saying why there is none."""
    side = box[2] - box[0]
    picture = _thumbnail(image, side) if image else None
    if picture is None:
        draw.rectangle(_inclusive(box), fill=PLACEHOLDER)
        why = FAILED if image else NO_IMAGE
        lines = fit_lines(why, _font("caption"), side - 4, 2)
        _draw_text(draw, TextBox("caption", lines, box, "center", "middle"), INK)
        return
    draw.rectangle(_inclusive(box), fill=CELL_BACKGROUND)
    offset = (box[0] + (side - picture.width) // 2, box[1] + (side - picture.height) // 2)
    canvas.paste(picture, offset, picture)  # its own alpha: transparency shows the background


def _draw_caption(draw: ImageDraw.ImageDraw, box: Box, caption: str) -> None:
    lines = fit_lines(caption, _font("caption"), box[2] - box[0], 1)
    _draw_text(draw, TextBox("caption", lines, box, "center"), MUTED)


def _inclusive(box: Box) -> Box:
    # ImageDraw.rectangle includes its right and bottom edges; our boxes do not.
    return (box[0], box[1], box[2] - 1, box[3] - 1)


def _thumbnail(path: Openable, side: int) -> Image.Image | None:
    """The picture fitted into side x side (aspect kept, enlarged when smaller) in RGBA,
    or None when it cannot be shown: missing, not a picture, corrupt, or over the pixel
    limit (refused from its header). `thumbnail` decodes JPEGs at a reduced scale."""
    try:
        with path.open("rb") as stream, open_image(stream) as image:
            image.thumbnail((side, side))
            return ImageOps.contain(image.convert("RGBA"), (side, side))
    except Exception as exc:
        # Pillow reports damaged files with many exception types (OSError, SyntaxError,
        # struct.error...); one bad file must not cost the whole sheet.
        log.warning("contact sheet: cannot show %s: %r", path, exc)
        return None
