"""Serving stored files from the app's own origin: outputs and thumbnails under /media/,
shared files under /s/<token>/files/, and the emulator's CDN.

A stored file that a browser renders as a document runs with the app's origin: an uploaded
`.html` or `.svg` would be script on our domain. So every view that serves a stored file
answers through `file_response` (or `bytes_response`), which:

- serves inline only raster images, audio and video (`INLINE_TYPES`: browsers run no
  script from them); everything else, SVG, HTML and text included, is an `attachment`
  sent as `application/octet-stream`, so no browser renders it, and with `nosniff` it can
  never be used as a script or stylesheet of our pages either;
- always sends `X-Content-Type-Options: nosniff` (the declared type is final: a `.png`
  holding HTML stays a broken picture) and `Content-Security-Policy: sandbox;
  default-src 'none'` (even a document opened somehow gets no script and no origin).

Bodies stream from storage in chunks (Django's FileResponse is read whole into memory
under ASGI), with single byte ranges so videos can seek.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Iterator
from typing import IO

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.utils.http import content_disposition_header

INLINE_TYPES = frozenset(
    {
        "image/png", "image/jpeg", "image/gif", "image/webp", "image/avif", "image/bmp",
        "audio/mpeg", "audio/mp4", "audio/aac", "audio/ogg", "audio/opus", "audio/flac",
        "audio/wav", "audio/x-wav", "audio/wave", "audio/webm",
        "video/mp4", "video/webm", "video/ogg", "video/quicktime",
    }
)  # fmt: skip
DOWNLOAD_TYPE = "application/octet-stream"
SANDBOX = "sandbox; default-src 'none'"
CHUNK_BYTES = 256 * 1024
_RANGE = re.compile(r"bytes=(\d*)-(\d*)")
_UNSAFE_NAME = re.compile(r"[^\w.\- ]+")


def media_type(content_type: str) -> str:
    """`image/PNG; charset=x` -> `image/png`."""
    return content_type.split(";", 1)[0].strip().lower()


def is_inline(content_type: str) -> bool:
    return media_type(content_type) in INLINE_TYPES


def protect(response: HttpResponse) -> HttpResponse:
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = SANDBOX
    return response


def safe_filename(name: str) -> str:
    cleaned = _UNSAFE_NAME.sub("_", name.rsplit("/", 1)[-1]).strip(" .")
    return cleaned[:150] or "file"


def _disposition(response: HttpResponse, content_type: str, filename: str, download: bool) -> None:
    known = is_inline(content_type)
    inline = known and not download
    response["Content-Type"] = media_type(content_type) if known else DOWNLOAD_TYPE
    response["Content-Disposition"] = content_disposition_header(
        not inline, safe_filename(filename)
    )


def file_response(
    request: HttpRequest,
    handle: IO[bytes],
    *,
    size: int,
    content_type: str,
    filename: str,
    download: bool = False,
) -> HttpResponse:
    """Stream an open file (closed when the response is), honouring one `Range`."""
    span = _requested_range(request, size)
    if span is None:
        handle.close()
        response = HttpResponse(status=416)
        response["Content-Range"] = f"bytes */{size}"
        return protect(response)
    start, end = span
    partial = (start, end) != (0, size - 1) and size > 0
    response = StreamingHttpResponse(
        FileChunks(handle, start, end - start + 1), status=206 if partial else 200
    )
    if partial:
        response["Content-Range"] = f"bytes {start}-{end}/{size}"
    response["Content-Length"] = str(max(end - start + 1, 0))
    response["Accept-Ranges"] = "bytes"
    _disposition(response, content_type, filename, download)
    return protect(response)


def bytes_response(
    data: bytes, *, content_type: str, filename: str, download: bool = False
) -> HttpResponse:
    """A file made on the way out (e.g. a PNG with its parameters), same rules."""
    response = HttpResponse(data)
    _disposition(response, content_type, filename, download)
    return protect(response)


def _requested_range(request: HttpRequest, size: int) -> tuple[int, int] | None:
    """(first, last) byte to send; the whole file unless one valid range is asked for;
    None when the range cannot be satisfied (416)."""
    whole = (0, size - 1)
    header = request.headers.get("Range", "")
    # If-Range would need validators we do not send: serving the whole file is always right.
    match = _RANGE.fullmatch(header.strip())
    if not match or "If-Range" in request.headers or request.method not in ("GET", "HEAD"):
        return whole
    first, last = match.groups()
    if not first and not last:
        return whole
    if not first:  # "bytes=-500": the last 500 bytes
        suffix = int(last)
        return (max(size - suffix, 0), size - 1) if suffix and size else None
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if start >= size or end < start:
        return None
    return start, end


class FileChunks:
    """An async iterable over a byte span of an open file, read off the event loop.

    Django registers `close`, so the file is closed even if the body is never sent."""

    def __init__(self, handle: IO[bytes], start: int, length: int) -> None:
        self.handle, self.start, self.length = handle, start, length

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self._read()

    async def _read(self) -> AsyncIterator[bytes]:
        try:
            if self.start:
                await asyncio.to_thread(self.handle.seek, self.start)
            remaining = self.length
            while remaining > 0:
                chunk = await asyncio.to_thread(self.handle.read, min(CHUNK_BYTES, remaining))
                if not chunk:
                    return
                remaining -= len(chunk)
                yield chunk
        finally:
            self.close()

    def close(self) -> None:
        self.handle.close()


async def in_thread(chunks: Iterator[bytes]) -> AsyncIterator[bytes]:
    """A blocking iterator of body chunks, each step run off the event loop (under ASGI,
    Django would otherwise collect a sync iterator whole in memory before sending)."""
    try:
        while (chunk := await asyncio.to_thread(next, chunks, None)) is not None:
            yield chunk
    finally:
        close = getattr(chunks, "close", None)
        if close:
            await asyncio.to_thread(close)
