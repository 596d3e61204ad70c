"""A pixel limit for every picture this server decodes.

A 140 KB PNG can declare 12000x12000 pixels and take 1.3 GB once decoded. Pillow's own
guard (`Image.MAX_IMAGE_PIXELS`) raises only above twice its limit and merely warns
below that, so every decode opens the image with `open_image` first: it reads the header
(cheap: no pixels) and refuses anything over `IMAGE_MAX_PIXELS` before `load()` is called.
Videos are checked the same way on their stream's frame size (`check_size`).
"""

from __future__ import annotations

import io
import re
from typing import IO

from django.conf import settings
from PIL import Image

_BOMB_PIXELS = re.compile(r"\((\d+) pixels\)")
_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"BM", "image/bmp"),
)


class ImageTooLarge(ValueError):
    """A picture with more pixels than this server decodes."""

    def __init__(self, pixels: int | None, size: tuple[int, int] | None = None) -> None:
        self.pixels = pixels
        self.size = size
        self.limit = max_pixels()
        super().__init__(self._message())

    def _message(self) -> str:
        limit = f"the limit is {self.limit / 1e6:g} megapixels"
        if self.size:
            width, height = self.size
            return f"The image is {width}x{height} pixels ({_mp(width * height)}); {limit}."
        if self.pixels:
            return f"The image has {_mp(self.pixels)}; {limit}."
        return f"The image has too many pixels; {limit}."


def _mp(pixels: int) -> str:
    return f"{pixels / 1e6:.1f} megapixels"


def max_pixels() -> int:
    return settings.IMAGE_MAX_PIXELS


def configure_pillow() -> None:
    """Pillow's own guard at our limit, for any decode that does not come through here
    (it raises above twice the limit). Called at start-up by every process."""
    Image.MAX_IMAGE_PIXELS = max_pixels()


def check_size(width: int | None, height: int | None) -> None:
    """Raises ImageTooLarge when a picture (or video frame) of this size is over the limit."""
    if width and height and width * height > max_pixels():
        raise ImageTooLarge(width * height, (width, height))


def open_image(source: bytes | IO[bytes]) -> Image.Image:
    """The image with only its header read; raises ImageTooLarge over the pixel limit,
    and Pillow's usual errors (UnidentifiedImageError, OSError...) for non-images."""
    stream = io.BytesIO(source) if isinstance(source, bytes | bytearray) else source
    try:
        image = Image.open(stream)
    except Image.DecompressionBombError as exc:
        found = _BOMB_PIXELS.search(str(exc))
        raise ImageTooLarge(int(found.group(1)) if found else None) from None
    try:
        check_size(*image.size)
    except ImageTooLarge:
        image.close()
        raise
    return image


def sniff_image_type(data: bytes) -> str:
    """The type of a common raster format from its first bytes (no decoding), or ""."""
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data[4:12] in (b"ftypavif", b"ftypavis"):
        return "image/avif"
    return next((kind for magic, kind in _MAGIC if data.startswith(magic)), "")
