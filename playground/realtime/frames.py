"""The wire format between the browser and RealtimeConsumer (not fal's: see fal/realtime.py).

Browser -> server
- binary, a frame: 4-byte big-endian sequence number, then the input picture (JPEG, PNG or
  WebP bytes; empty for endpoints that take no picture);
- text, JSON: `{"type": "params", "fields": [[name, value], ...]}` (the form, as posted),
  `{"type": "save", "seq": n}`.

Server -> browser
- binary, a result: 4-byte big-endian header length, the JSON header
  `{"type": "result", "seq", "fal_ms", "width", "height", "content_type", "url"?, "output"}`,
  then the output picture's bytes (none when fal answered with a URL);
- text, JSON: `status` (state: connecting | live | idle | error), `dropped` (seq: replaced
  by a newer frame before it was sent), `error` (seq?, message, code), `invalid` (errors by
  field path), `timing` (seq, ms: fal's own processing time), `saved` (seq, url).
"""

from __future__ import annotations

import base64
import binascii
import json
import struct
from dataclasses import dataclass
from typing import Any

from PIL import UnidentifiedImageError

from playground.lib.images import ImageTooLarge, open_image

MAX_FRAME_BYTES = 8 * 1024 * 1024
_SEQ = struct.Struct(">I")
_SNIFF = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"RIFF", "image/webp"),
)


class BadFrame(ValueError):
    pass


@dataclass(frozen=True)
class InputFrame:
    seq: int
    picture: bytes
    content_type: str

    def data_uri(self) -> str:
        return f"data:{self.content_type};base64,{base64.b64encode(self.picture).decode()}"


@dataclass(frozen=True)
class Picture:
    """The first output image of a result: its bytes, or the URL fal gave instead."""

    data: bytes
    url: str
    content_type: str
    width: int | None
    height: int | None


def parse_input(message: bytes) -> InputFrame:
    if len(message) < _SEQ.size:
        raise BadFrame("A frame starts with its 4-byte sequence number.")
    if len(message) > MAX_FRAME_BYTES:
        raise BadFrame(f"Frames are limited to {MAX_FRAME_BYTES // (1024 * 1024)} MB.")
    (seq,) = _SEQ.unpack_from(message)
    picture = message[_SEQ.size :]
    if not picture:
        return InputFrame(seq, b"", "")
    content_type = next((kind for magic, kind in _SNIFF if picture.startswith(magic)), "")
    if not content_type:
        raise BadFrame("A frame's picture must be JPEG, PNG or WebP.")
    _check_pixels(picture)
    return InputFrame(seq, picture, content_type)


def _check_pixels(picture: bytes) -> None:
    """Refuse a frame whose header declares too many pixels (reads the header only): a
    small file can decode to gigabytes wherever it is decoded next."""
    try:
        open_image(picture).close()
    except ImageTooLarge as exc:
        raise BadFrame(str(exc)) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise BadFrame("A frame's picture could not be read.") from None


def pack_input(seq: int, picture: bytes) -> bytes:
    """What a browser sends (tests and the bench use it)."""
    return _SEQ.pack(seq) + picture


def pack_result(header: dict[str, Any], picture: bytes) -> bytes:
    head = json.dumps(header, separators=(",", ":")).encode()
    return _SEQ.pack(len(head)) + head + picture


def unpack_result(message: bytes) -> tuple[dict[str, Any], bytes]:
    (size,) = _SEQ.unpack_from(message)
    header = json.loads(message[_SEQ.size : _SEQ.size + size])
    return header, message[_SEQ.size + size :]


def pictures(output: dict[str, Any]) -> list[Picture]:
    """The images of a realtime result (`images`, or `image`): raw `content` bytes, data
    URIs decoded, or URLs the browser can load itself."""
    images = output.get("images")
    items = images if isinstance(images, list) else [output.get("image")]
    found = (_picture(item) for item in items if isinstance(item, dict))
    return [picture for picture in found if picture is not None]


def first_picture(output: dict[str, Any]) -> Picture | None:
    found = pictures(output)
    return found[0] if found else None


def _picture(item: dict[str, Any]) -> Picture | None:
    content_type = str(item.get("content_type") or "image/jpeg")
    width, height = _int(item.get("width")), _int(item.get("height"))
    content = item.get("content")
    if isinstance(content, bytes | bytearray):
        return Picture(bytes(content), "", content_type, width, height)
    url = item.get("url")
    if isinstance(url, str) and url.startswith("data:"):
        header, _, payload = url.partition(",")
        try:
            data = base64.b64decode(payload) if header.endswith(";base64") else payload.encode()
        except (binascii.Error, ValueError):
            return None
        return Picture(data, "", header[5:].split(";")[0] or content_type, width, height)
    if isinstance(url, str) and url.startswith(("https://", "http://")):
        return Picture(b"", url, content_type, width, height)
    return None


def summary(value: Any) -> Any:
    """A result made JSON-safe and small: bytes and data URIs become short descriptions."""
    if isinstance(value, dict):
        return {str(k): summary(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [summary(v) for v in value]
    if isinstance(value, bytes | bytearray):
        return f"<{len(value)} bytes>"
    if isinstance(value, str) and value.startswith("data:") and len(value) > 120:
        return f"{value[:40]}… ({len(value)} characters)"
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None
