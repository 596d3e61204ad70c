"""The REST host's tokens and storage (https://rest.fal.ai) and the CDN (v3.fal.media)."""

from __future__ import annotations

import mimetypes
from datetime import UTC, datetime, timedelta

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.files.storage import default_storage
from django.http import FileResponse, HttpRequest, HttpResponse, JsonResponse

from playground.localfal import files, tokens
from playground.localfal.views.common import api, base_url, detail, json_body

CDN_SCOPE = "cdn-upload"


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
async def initiate(request: HttpRequest, multipart: bool = False) -> HttpResponse:
    """initiate(-multipart): a single-use upload URL and the file's future public URL."""
    data, error = json_body(request)
    if error:
        return error
    data = data if isinstance(data, dict) else {}
    content_type = str(data.get("content_type") or "application/octet-stream")
    name = str(data.get("file_name") or _default_name(content_type))
    token, upload = files.uploads.start(name, content_type)
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


async def _read_body(request: HttpRequest) -> bytes | HttpResponse:
    """The raw request body, or 413 when it is larger than the emulator accepts."""
    limit = settings.LOCALFAL_MAX_UPLOAD_BYTES
    if int(request.headers.get("Content-Length") or 0) <= limit:
        data = await sync_to_async(request.read)(limit + 1)
        if len(data) <= limit:
            return data
    return detail("File is larger than this emulator accepts (LOCALFAL_MAX_UPLOAD_BYTES).", 413)


@api("POST", auth=False)
async def cdn_upload(request: HttpRequest) -> HttpResponse:
    """POST <cdn>/files/upload with the CDN token (not the fal key)."""
    if not _cdn_token_ok(request):
        return detail("Invalid or expired upload token", 401)
    data = await _read_body(request)
    if isinstance(data, HttpResponse):
        return data
    name = request.headers.get("X-Fal-File-Name") or _default_name(request.content_type or "")
    key, name = await sync_to_async(files.save)(data, name)
    return JsonResponse({"access_url": files.public_url(base_url(request), key, name)})


@api("PUT", auth=False)
async def upload_target(request: HttpRequest, token: str) -> HttpResponse:
    """The signed `upload_url`: raw bytes, no Authorization, usable once (§7.1)."""
    upload = files.uploads.finish(token)
    if upload is None:
        return detail("Unknown or expired upload URL", 404)
    data = await _read_body(request)
    if isinstance(data, HttpResponse):
        return data
    await sync_to_async(files.save)(data, upload.name, key=upload.key)
    return HttpResponse(status=200)


@api("PUT", auth=False)
async def multipart_part(request: HttpRequest, token: str, number: int) -> HttpResponse:
    upload = files.uploads.get(token)
    if upload is None:
        return detail("Unknown or expired upload URL", 404)
    data = await _read_body(request)
    if isinstance(data, HttpResponse):
        return data
    upload.parts[number] = data
    etag = f'"{number}-{len(data)}"'
    return JsonResponse({"partNumber": number, "etag": etag}, headers={"ETag": etag})


@api("POST", auth=False)
async def multipart_complete(request: HttpRequest, token: str) -> HttpResponse:
    upload = files.uploads.get(token)
    if upload is None:
        return detail("Unknown or expired upload URL", 404)
    data, error = json_body(request)
    if error:
        return error
    parts = (data or {}).get("parts", []) if isinstance(data, dict) else []
    numbers = [p.get("partNumber") for p in parts if isinstance(p, dict)]
    if not numbers or any(n not in upload.parts for n in numbers):
        return detail("parts must list every uploaded partNumber", 400)
    files.uploads.finish(token)
    blob = b"".join(upload.parts[n] for n in sorted(numbers))
    await sync_to_async(files.save)(blob, upload.name, key=upload.key)
    return JsonResponse({"file_url": files.public_url(base_url(request), upload.key, upload.name)})


@api("GET", auth=False)
async def served_file(request: HttpRequest, key: str, name: str) -> HttpResponse:
    """A stored file, public like fal's CDN URLs."""
    if not await sync_to_async(files.exists)(key, name):
        return detail("File not found", 404)
    handle = await sync_to_async(default_storage.open)(files.storage_path(key, name), "rb")
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    response = FileResponse(handle, content_type=content_type)
    response["Cache-Control"] = "public, max-age=604800, immutable"
    response["Access-Control-Allow-Origin"] = "*"
    return response
