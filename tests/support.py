"""Helpers several test modules share: bodies of streamed responses, hostile files."""

from __future__ import annotations

import struct
import zlib
from functools import cache

from asgiref.sync import async_to_sync
from django.conf import settings

SANDBOX = "sandbox; default-src 'none'"  # the CSP of every stored file we serve
HTML = b"<!doctype html><script>fetch('/accounts/keys/').then(r => r.text())</script>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.domain)</script></svg>'


def emulator_key() -> dict[str, str]:
    """The Authorization header the emulator of this install accepts."""
    return {"Authorization": f"Key {settings.LOCALFAL_KEY}"}


def body(response) -> bytes:
    """The whole body of a response from the sync test client, streamed or not."""
    if not response.streaming:
        return response.content
    if response.is_async:
        return async_to_sync(abody)(response)
    return b"".join(response.streaming_content)


async def abody(response) -> bytes:
    """The whole body of a response, from the async test client (or the sync one)."""
    if not response.streaming:
        return response.content
    if response.is_async:
        return b"".join([chunk async for chunk in response.streaming_content])
    return b"".join(response.streaming_content)


def _chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


@cache
def bomb_png(side: int = 12000) -> bytes:
    """A valid grey PNG of side x side pixels in about 140 KB (12000: 1.3 GB decoded)."""
    packer = zlib.compressobj(9)
    row = b"\0" * (side + 1)  # filter byte + one byte per pixel
    pixels = b"".join(packer.compress(row) for _ in range(side)) + packer.flush()
    header = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", pixels)
        + _chunk(b"IEND", b"")
    )


def live_location(data_dir) -> str:
    """The prefix in the test bucket of the live server whose DATA_DIR is `data_dir`
    (TEST_STORAGE=s3): as on disk, each live server has media of its own."""
    return f"live/{data_dir.parent.name}/{data_dir.name}"


def use_media_of(server, settings) -> None:
    """Files this test stores land where the live `server` reads them: its media folder,
    or its prefix in the test bucket (TEST_STORAGE=s3)."""
    settings.MEDIA_ROOT = server.log_path.parent / "media"
    default = settings.STORAGES["default"]
    if "OPTIONS" in default:
        location = live_location(server.log_path.parent)
        options = {**default["OPTIONS"], "location": location}
        settings.STORAGES = {**settings.STORAGES, "default": {**default, "OPTIONS": options}}
