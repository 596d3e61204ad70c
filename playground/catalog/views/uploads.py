"""File inputs: the browser uploads here, we store the file where fal can fetch it.

In fal mode that is fal's CDN (with the person's key, see accounts/credentials.py);
locally it is the embedded emulator's storage. Either way
the answer is a public URL the form puts in the field.
"""

from __future__ import annotations

import io
import logging
import mimetypes
from typing import Any

from asgiref.sync import sync_to_async
from django.core.files.uploadedfile import UploadedFile
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_POST
from PIL import Image, UnidentifiedImageError

from playground.accounts.credentials import NoFalKey, resolve_fal_key
from playground.fal.config import client_from_settings
from playground.fal.errors import FalError

log = logging.getLogger(__name__)
MAX_UPLOAD_BYTES = 50 * 1024 * 1024
RECENT_UPLOADS = "recent_uploads"  # session key, read by the model page
RECENT_LIMIT = 24
MEDIA_KINDS = ("image", "audio", "video")


@require_POST
async def upload(request: HttpRequest) -> JsonResponse:
    """multipart `file` -> `{"url", "content_type", "name"}`; `?media=image` refuses
    anything Pillow cannot read. 413 over 50 MB, 502 when storage fails."""
    user = await request.auser()
    if not user.is_authenticated:
        return _error("Log in to upload files.", 403)
    if int(request.headers.get("Content-Length") or 0) > MAX_UPLOAD_BYTES + 64 * 1024:
        return _too_large()
    files = await sync_to_async(lambda: request.FILES)()
    upload = files.get("file")
    if upload is None:
        return _error("Choose a file to upload.", 400)
    if upload.size > MAX_UPLOAD_BYTES:
        return _too_large()
    data = await sync_to_async(upload.read)()
    name = (upload.name or "upload").rsplit("/", 1)[-1][:200]
    content_type = _content_type(data, upload)
    problem = _media_problem(request.GET.get("media", ""), content_type)
    if problem:
        return _error(problem, 400)
    try:
        key = await sync_to_async(resolve_fal_key)(user.pk, None)
    except NoFalKey as exc:
        return _error(str(exc), 400)
    try:
        async with client_from_settings(key=key) as fal:
            url = await fal.upload(data, content_type, name)
    except FalError as exc:
        log.warning("upload of %s (%d bytes) failed: %s", name, len(data), exc)
        return _error("The file could not be stored right now. Try again in a moment.", 502)
    stored = {"url": url, "content_type": content_type, "name": name}
    await _remember(request, stored)
    return JsonResponse(stored)


def _content_type(data: bytes, upload: UploadedFile) -> str:
    """What the bytes are: Pillow's word for images, else the browser's or the name's."""
    sniffed = _image_type(data)
    if sniffed:
        return sniffed
    declared = (upload.content_type or "").split(";")[0].strip().lower()
    if declared.startswith("image/"):
        declared = ""  # claims to be an image, but Pillow cannot read it
    guessed = mimetypes.guess_type(upload.name or "")[0] or ""
    if guessed.startswith("image/"):
        guessed = ""
    return declared or guessed or "application/octet-stream"


def _image_type(data: bytes) -> str:
    try:
        with Image.open(io.BytesIO(data)) as image:
            return Image.MIME.get(image.format or "", "") or ""
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError, ValueError):
        return ""


def _media_problem(media: str, content_type: str) -> str:
    if media == "image" and not content_type.startswith("image/"):
        return "That file is not an image (PNG, JPEG, WebP, GIF…)."
    if media in ("audio", "video"):
        kind = content_type.split("/")[0]
        # Browsers often send unknown types as octet-stream: only refuse clear mismatches.
        if kind in MEDIA_KINDS and kind != media and not (media == "audio" and kind == "video"):
            return f"That file is not {'an' if media == 'audio' else 'a'} {media} file."
    return ""


async def _remember(request: HttpRequest, stored: dict[str, Any]) -> None:
    """Keep the user's recent uploads in their session, for the "Recent" picker."""
    recent = await request.session.aget(RECENT_UPLOADS, [])
    recent = [stored, *(item for item in recent if item.get("url") != stored["url"])]
    await request.session.aset(RECENT_UPLOADS, recent[:RECENT_LIMIT])


def _too_large() -> JsonResponse:
    limit = MAX_UPLOAD_BYTES // (1024 * 1024)
    return _error(f"That file is larger than {limit} MB, the upload limit.", 413)


def _error(message: str, status: int) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)
