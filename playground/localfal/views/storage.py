"""The REST host's tokens and storage (https://rest.fal.ai) and the CDN (v3.fal.media)."""

from __future__ import annotations

import asyncio
import functools
import mimetypes
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse

from playground.lib import serving
from playground.localfal import files, tokens, uploads
from playground.localfal.views.common import api, base_url, detail, json_body

CDN_SCOPE = "cdn-upload"


def answers_refusals(view: Callable[..., Awaitable[HttpResponse]]) -> Callable[..., Any]:
    """UploadRefused (too large, storage full, unknown URL...) as fal-style JSON."""

    @functools.wraps(view)
    async def answer(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return await view(request, *args, **kwargs)
        except uploads.UploadRefused as exc:
            return detail(str(exc), exc.status)

    return answer


@api("POST", route="token")
async def realtime_token(request: HttpRequest) -> HttpResponse:
    """POST /tokens/ -> a JSON string: a short-lived JWT for the listed app aliases (§6.1)."""
    data, error = json_body(request)
    if error:
        return error
    data = data if isinstance(data, dict) else {}
    apps = data.get("allowed_apps")
    expiration = data.get("token_expiration", 120)
    if not isinstance(apps, list) or not apps or not all(isinstance(a, str) for a in apps):
        return detail("allowed_apps must be a non-empty list of app aliases", 422)
    if not isinstance(expiration, int) or not 10 <= expiration <= 86400:
        return detail("token_expiration must be between 10 and 86400 seconds", 422)
    return JsonResponse(tokens.mint(apps, expiration), safe=False, status=201)


@api("POST", route="upload")
@answers_refusals
async def initiate(request: HttpRequest, multipart: bool = False) -> HttpResponse:
    """initiate(-multipart): a single-use upload URL and the file's future public URL.
    507 when the storage quota is used up, 429 when too many uploads are open."""
    data, error = json_body(request)
    if error:
        return error
    data = data if isinstance(data, dict) else {}
    content_type = str(data.get("content_type") or "application/octet-stream")
    name = str(data.get("file_name") or _default_name(content_type))
    await _room_left()  # a full store refuses before anyone sends a byte
    token, upload = uploads.uploads.start(name, content_type)
    base = base_url(request)
    kind = "multipart" if multipart else "upload"
    return JsonResponse(
        {
            "upload_url": f"{base}/cdn/{kind}/{token}",
            "file_url": files.public_url(base, upload.key, upload.name),
        }
    )


@api("POST", route="upload")
async def cdn_token(request: HttpRequest) -> HttpResponse:
    """The Python client's v3 path: a CDN token, then POST <cdn>/files/upload (§7.2)."""
    return JsonResponse(
        {
            "token": tokens.mint([CDN_SCOPE], 3600),
            "token_type": "Bearer",
            "base_url": f"{base_url(request)}/cdn",
            "expires_at": (datetime.now(UTC) + timedelta(hours=1)).isoformat(),
        }
    )


def _default_name(content_type: str) -> str:
    return "upload" + (mimetypes.guess_extension(content_type) or ".bin")


def _cdn_token_ok(request: HttpRequest) -> bool:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    try:
        tokens.verify(token.strip(), CDN_SCOPE)
    except tokens.TokenError:
        return False
    return scheme.lower() == "bearer"


async def _room_left() -> int:
    """Bytes storage may still take; raises the 507 refusal when none. Sweeps expired
    files first, at most once a minute."""
    room = await asyncio.to_thread(files.store.room)
    if room <= 0:
        raise uploads.storage_full()
    return room


async def _limit(cap: int, refusal: uploads.UploadRefused) -> tuple[int, uploads.UploadRefused]:
    """The bytes a body may have under `cap` and the room left in storage, and the answer
    when it has more."""
    room = await _room_left()
    return (cap, refusal) if cap <= room else (room, uploads.storage_full())


async def _spool_body(
    request: HttpRequest, cap: int, refusal: uploads.UploadRefused
) -> uploads.Spooled:
    """The request body, copied to disk in chunks; raises `refusal` once it passes `cap`
    (or the 507 refusal once it passes the room left in storage)."""
    limit, refusal = await _limit(cap, refusal)
    try:
        declared = int(request.headers.get("Content-Length") or 0)
    except ValueError:
        declared = 0
    if declared > limit:
        raise refusal
    return await asyncio.to_thread(uploads.spool, request.read, limit, refusal)


def _whole_file(request: HttpRequest) -> Awaitable[uploads.Spooled]:
    cap = uploads.max_upload_bytes()
    return _spool_body(request, cap, uploads.too_large(cap))


@api("POST", auth=False)
@answers_refusals
async def cdn_upload(request: HttpRequest) -> HttpResponse:
    """POST <cdn>/files/upload with the CDN token (not the fal key)."""
    if not _cdn_token_ok(request):
        return detail("Invalid or expired upload token", 401)
    spooled = await _whole_file(request)
    name = request.headers.get("X-Fal-File-Name") or _default_name(request.content_type or "")
    key, name = await asyncio.to_thread(uploads.store_spooled, spooled, name)
    return JsonResponse({"access_url": files.public_url(base_url(request), key, name)})


@api("PUT", auth=False)
@answers_refusals
async def upload_target(request: HttpRequest, token: str) -> HttpResponse:
    """The signed `upload_url`: raw bytes, no Authorization, usable once (§7.1)."""
    upload = uploads.uploads.finish(token)
    if upload is None:
        return detail("Unknown or expired upload URL", 404)
    spooled = await _whole_file(request)
    await asyncio.to_thread(uploads.store_spooled, spooled, upload.name, upload.key)
    return HttpResponse(status=200)


@api("PUT", auth=False)
@answers_refusals
async def multipart_part(request: HttpRequest, token: str, number: int) -> HttpResponse:
    """One part, spooled to disk: at most MAX_PART_BYTES, and the parts together at most
    LOCALFAL_MAX_UPLOAD_BYTES (413 beyond either)."""
    cap, refusal = uploads.uploads.room_for_part(token, number)
    part = await _spool_body(request, cap, refusal)
    uploads.uploads.add_part(token, number, part)
    etag = f'"{number}-{part.size}"'
    return JsonResponse({"partNumber": number, "etag": etag}, headers={"ETag": etag})


@api("POST", auth=False)
async def multipart_complete(request: HttpRequest, token: str) -> HttpResponse:
    upload = uploads.uploads.get(token)
    if upload is None:
        return detail("Unknown or expired upload URL", 404)
    data, error = json_body(request)
    if error:
        return error
    parts = (data or {}).get("parts", []) if isinstance(data, dict) else []
    numbers = [p.get("partNumber") for p in parts if isinstance(p, dict)]
    if not numbers or any(n not in upload.parts for n in numbers):
        return detail("parts must list every uploaded partNumber", 400)
    if uploads.uploads.finish(token) is None:
        return detail("Unknown or expired upload URL", 404)  # completed concurrently
    await asyncio.to_thread(upload.assemble, numbers)
    return JsonResponse({"file_url": files.public_url(base_url(request), upload.key, upload.name)})


@api("GET", auth=False)
async def served_file(request: HttpRequest, key: str, name: str) -> HttpResponse:
    """A stored file, public like fal's CDN URLs, until it expires. Pictures, audio and
    video inline; anything else (HTML, SVG...) a download that never runs as our page."""
    handle = await asyncio.to_thread(files.open_stored, key, name)
    if handle is None:
        return detail("File not found", 404)
    size = await asyncio.to_thread(lambda: handle.size)
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    response = serving.file_response(
        request, handle, size=size, content_type=content_type, filename=name
    )
    response["Cache-Control"] = "public, max-age=604800, immutable"
    response["Access-Control-Allow-Origin"] = "*"
    return response
