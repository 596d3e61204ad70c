"""File inputs: the browser uploads here, we store the file where fal can fetch it.

In fal mode that is fal's CDN (with the person's key, see accounts/credentials.py);
locally it is the embedded emulator's storage. Either way
the answer is a public URL the form puts in the field.
"""

from __future__ import annotations

import logging
import mimetypes
import time
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.cache import cache
from django.core.files.uploadedfile import UploadedFile
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_POST
from PIL import Image, UnidentifiedImageError

from playground.accounts.credentials import NoFalKey, resolve_fal_key
from playground.demo.visitors import visitor_address
from playground.fal.config import client_from_settings, uses_emulator
from playground.fal.errors import FalError
from playground.lib.images import ImageTooLarge, open_image
from playground.localfal.address import browser_url

log = logging.getLogger(__name__)
MAX_UPLOAD_BYTES = 50 * 1024 * 1024
RECENT_UPLOADS = "recent_uploads"  # session key, read by the model page
RECENT_LIMIT = 24
MEDIA_KINDS = ("image", "audio", "video")


@require_POST
async def upload(request: HttpRequest) -> JsonResponse:
    """multipart `file` -> `{"url", "content_type", "name"}`; `?media=image` refuses
    anything Pillow cannot read. 413 over 50 MB, 400 for a picture over IMAGE_MAX_PIXELS,
    429 past UPLOADS_PER_HOUR, 502 when storage fails.

    Demo visitors (no account) upload only what a model form's file field takes: pictures
    Pillow reads, audio or video (anything else is refused, `?media=` is required), counted
    per address, stored with the server's key like their runs."""
    user = await request.auser()
    media = request.GET.get("media", "")
    uploader, refusal = _uploader(request, user, media)
    if refusal:
        return refusal
    if _declared_length(request) > MAX_UPLOAD_BYTES + 64 * 1024:
        return _too_large()
    wait = await _over_hourly_limit(uploader)
    if wait:
        return _too_many(wait)
    files = await sync_to_async(lambda: request.FILES)()
    upload = files.get("file")
    if upload is None:
        return _error("Choose a file to upload.", 400)
    if upload.size > MAX_UPLOAD_BYTES:
        return _too_large()
    data = await sync_to_async(upload.read)()
    name = (upload.name or "upload").rsplit("/", 1)[-1][:200]
    try:
        content_type = _content_type(data, upload)
    except ImageTooLarge as exc:
        return _error(f"{exc} Scale it down and upload it again.", 400)
    problem = _media_problem(media, content_type, strict=not user.is_authenticated)
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
    if uses_emulator():
        url = browser_url(url, request)
    stored = {"url": url, "content_type": content_type, "name": name}
    await _remember(request, stored)
    return JsonResponse(stored)


def _uploader(request: HttpRequest, user: Any, media: str) -> tuple[str, JsonResponse | None]:
    """Whom the hourly upload count counts ("12", or a demo visitor's address), or a
    refusal for visitors: without demo mode, or for a file that is no model's media."""
    if user.is_authenticated:
        return str(user.pk), None
    if not settings.DEMO_MODE:
        return "", _error("Log in to upload files.", 403)
    if media not in MEDIA_KINDS:
        return "", _error("Log in to upload files other than pictures, audio or video.", 403)
    return f"visitor:{visitor_address(request)}", None


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
    """The image type Pillow reads in the header (no decoding), or "" for non-images;
    raises ImageTooLarge past IMAGE_MAX_PIXELS (the emulator would refuse it anyway)."""
    try:
        with open_image(data) as image:
            return Image.MIME.get(image.format or "", "") or ""
    except ImageTooLarge:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        return ""


def _media_problem(media: str, content_type: str, *, strict: bool = False) -> str:
    """Why the file does not fit the field's `media`, or "". `strict` (demo visitors) also
    refuses a file of no known media type."""
    if media == "image" and not content_type.startswith("image/"):
        return "That file is not an image (PNG, JPEG, WebP, GIF…)."
    if media in ("audio", "video"):
        kind = content_type.split("/")[0]
        # Browsers often send unknown types as octet-stream: only refuse clear mismatches.
        known = kind in MEDIA_KINDS or strict
        if known and kind != media and not (media == "audio" and kind == "video"):
            return f"That file is not {'an' if media == 'audio' else 'a'} {media} file."
    return ""


async def _remember(request: HttpRequest, stored: dict[str, Any]) -> None:
    """Keep the user's recent uploads in their session, for the "Recent" picker."""
    recent = await request.session.aget(RECENT_UPLOADS, [])
    recent = [stored, *(item for item in recent if item.get("url") != stored["url"])]
    await request.session.aset(RECENT_UPLOADS, recent[:RECENT_LIMIT])


def _declared_length(request: HttpRequest) -> int:
    try:
        return int(request.headers.get("Content-Length") or 0)
    except ValueError:
        return 0


async def _over_hourly_limit(uploader: str) -> int:
    """Seconds until this person (or visitor) may upload again (UPLOADS_PER_HOUR), or 0;
    counts this upload. One counter per uploader and clock hour, in the cache shared by
    all processes."""
    now = int(time.time())
    key = f"uploads:{uploader}:{now // 3600}"
    await cache.aadd(key, 0, timeout=3600)
    try:
        count = await cache.aincr(key)
    except ValueError:  # expired between the two calls
        await cache.aset(key, 1, timeout=3600)
        count = 1
    return 3600 - now % 3600 if count > settings.UPLOADS_PER_HOUR else 0


def _too_many(wait: int) -> JsonResponse:
    minutes = max(1, round(wait / 60))
    response = _error(
        f"You have made {settings.UPLOADS_PER_HOUR} uploads this hour, the limit. "
        f"Try again in {minutes} minute{'s' if minutes != 1 else ''}.",
        429,
    )
    response["Retry-After"] = str(wait)
    return response


def _too_large() -> JsonResponse:
    limit = MAX_UPLOAD_BYTES // (1024 * 1024)
    return _error(f"That file is larger than {limit} MB, the upload limit.", 413)


def _error(message: str, status: int) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)
