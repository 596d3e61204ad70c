"""HTTP face of the emulator: fal's run, queue, REST and CDN hosts under one origin.

Mirrors fal-protocol.md (§3 run, §4 queue, §5 stream, §6.1 tokens, §7 storage). Every
view is async, so status streams hold no thread while they wait.
"""

from __future__ import annotations

import asyncio
import json
import mimetypes
import time
from collections.abc import AsyncIterator
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.http import FileResponse, HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.views.decorators.csrf import csrf_exempt

from playground.catalog.models import Endpoint
from playground.fal.endpoints import EndpointId, InvalidEndpointId
from playground.localfal import faults as fault_rules
from playground.localfal import files, tokens
from playground.localfal.engine import EmuRequest, get_engine
from playground.localfal.validation import fal_errors
from playground.localfal.worker import with_defaults

NGINX_BODY = (
    "<html><body><center><h1>{code} {reason}</h1></center><hr><center>nginx</center></body></html>"
)
REASONS = {
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Temporarily Unavailable",
    504: "Gateway Time-out",
}


# -- helpers ------------------------------------------------------------------------------
def base_url(request: HttpRequest) -> str:
    return request.build_absolute_uri("/localfal").rstrip("/")


def detail(message: str, status: int, **extra: Any) -> JsonResponse:
    return JsonResponse({"detail": message, **extra}, status=status)


def _faults(request: HttpRequest) -> tuple[list[fault_rules.Fault], str]:
    text = ",".join(
        filter(None, [settings.LOCALFAL_FAULTS, request.headers.get(fault_rules.HEADER, "")])
    )
    return fault_rules.parse(text), text


async def _injected(request: HttpRequest, route: str) -> HttpResponse | None:
    """An injected failure or delay for this call, if a rule says so."""
    try:
        rules, source = _faults(request)
    except fault_rules.FaultSyntaxError as exc:
        return detail(str(exc), 400, error_type="bad_request")
    slow = fault_rules.book.pick(route, source, rules, action="slow")
    if slow:
        await asyncio.sleep(slow.seconds)
    failing = [rule for rule in rules if rule.status_code]
    fault = fault_rules.book.pick(route, source, failing)
    return _fault_response(fault.status_code) if fault and fault.status_code else None


def _fault_response(code: int) -> HttpResponse:
    if code in (502, 503, 504):
        # Ingress-style: nginx HTML and no x-fal-request-id, which the clients retry.
        return HttpResponse(
            NGINX_BODY.format(code=code, reason=REASONS[code]),
            status=code,
            content_type="text/html",
        )
    if code == 429:
        return detail("Too many concurrent requests (localfal fault)", 429)
    body = {"detail": f"Injected error {code} (localfal fault)", "error_type": "internal_error"}
    response = JsonResponse(body, status=code)
    response["X-Fal-Error-Type"] = "internal_error"
    return response


def _authorized(request: HttpRequest) -> bool:
    scheme, _, credential = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() in ("key", "bearer") and bool(credential.strip())


def _unauthorized() -> JsonResponse:
    return detail("Missing or invalid credentials: send 'Authorization: Key <FAL_KEY>'.", 401)


def _json_body(request: HttpRequest) -> tuple[Any, JsonResponse | None]:
    if not request.body:
        return {}, None
    try:
        return json.loads(request.body), None
    except (ValueError, UnicodeDecodeError):
        error = [{"loc": ["body"], "msg": "JSON decode error", "type": "json_invalid"}]
        return None, JsonResponse({"detail": error}, status=422)


_endpoint_cache: dict[str, tuple[float, Endpoint | None]] = {}
ENDPOINT_CACHE_SECONDS = 5.0


async def _endpoint(endpoint_id: str) -> Endpoint | None:
    """The catalog row, cached briefly: a burst of submits should not queue on the DB."""
    now = time.monotonic()
    cached = _endpoint_cache.get(endpoint_id)
    if cached and now - cached[0] < ENDPOINT_CACHE_SECONDS:
        return cached[1]
    endpoint = await sync_to_async(Endpoint.objects.by_endpoint_id)(endpoint_id)
    _endpoint_cache[endpoint_id] = (now, endpoint)
    return endpoint


async def _prepare(
    request: HttpRequest, endpoint_path: str, *, queued: bool = False
) -> EmuRequest | HttpResponse:
    """Auth, endpoint lookup and input validation shared by submit, run and stream.

    A direct run answers 422 at once. A queued submit is accepted as fal's queue does: the
    model validates when it runs, so the request ends COMPLETED with the error and its
    result answers 422 (as a webhook would carry it).
    """
    if not _authorized(request):
        return _unauthorized()
    try:
        endpoint_id = EndpointId.parse(endpoint_path)
    except InvalidEndpointId as exc:
        return detail(str(exc), 404)
    endpoint = await _endpoint(endpoint_id.full)
    if endpoint is None:
        return detail(f"Application '{endpoint_id.full}' not found", 404)
    data, error = _json_body(request)
    if error:
        return error
    problems = fal_errors(endpoint.input_schema, data)
    if problems and not queued:
        return JsonResponse({"detail": problems}, status=422, headers={"X-Fal-Retryable": "false"})
    start_timeout = _start_timeout(request)
    if isinstance(start_timeout, HttpResponse):
        return start_timeout
    rules, source = _faults(request)
    return EmuRequest(
        endpoint_id=endpoint_id.full,
        app=endpoint_id.app,
        category=endpoint.category,
        input=with_defaults(endpoint.input_schema, data) if not problems else data,
        invalid=problems,
        start_timeout=start_timeout,
        output_schema=endpoint.output_schema,
        base_url=base_url(request),
        faults=rules,
        fault_source=source,
        webhook_url=request.GET.get("fal_webhook"),
        priority=request.headers.get("X-Fal-Queue-Priority", "normal"),
    )


def _start_timeout(request: HttpRequest) -> float | HttpResponse | None:
    """X-Fal-Request-Timeout: seconds a request may wait to start (must be more than 1)."""
    raw = request.headers.get("X-Fal-Request-Timeout")
    if raw is None:
        return None
    try:
        seconds = float(raw)
    except ValueError:
        seconds = 0.0
    if seconds <= 1:
        return detail(
            "X-Fal-Request-Timeout must be a number of seconds above 1",
            400,
            error_type="bad_request",
        )
    return seconds


def _with_request_id(response: HttpResponse, request_id: str) -> HttpResponse:
    response["x-fal-request-id"] = request_id
    return response


def _result_response(emu: EmuRequest) -> HttpResponse:
    if emu.failure:
        response = JsonResponse(emu.failure.body, status=emu.failure.status_code)
        response["X-Fal-Error-Type"] = emu.failure.error_type
        for name, value in emu.failure.headers.items():
            response[name] = value
    else:
        response = JsonResponse(emu.output, safe=False)
    return _with_request_id(response, emu.request_id)


def _wants_logs(request: HttpRequest) -> bool:
    # JS sends logs=1/0, Python logs=true/false (fal-protocol.md §4.2).
    return request.GET.get("logs", "0").lower() in ("1", "true")


def _sse(events: AsyncIterator[Any]) -> StreamingHttpResponse:
    async def body() -> AsyncIterator[bytes]:
        async for event in events:
            yield f"data: {json.dumps(event)}\n\n".encode()

    response = StreamingHttpResponse(body(), content_type="text/event-stream")
    response["Cache-Control"] = "no-store"
    response["X-Accel-Buffering"] = "no"
    return response


# -- queue --------------------------------------------------------------------------------
@csrf_exempt
async def queue_submit(request: HttpRequest, endpoint_path: str) -> HttpResponse:
    if request.method != "POST":
        return detail("Method not allowed", 405)
    injected = await _injected(request, "submit")
    if injected:
        return injected
    emu = await _prepare(request, endpoint_path, queued=True)
    if isinstance(emu, HttpResponse):
        return emu
    body = get_engine().submit(emu)
    body.pop("logs", None)
    if emu.webhook_url:
        body["gateway_request_id"] = emu.request_id
    return _with_request_id(JsonResponse(body), emu.request_id)


async def _queued(request: HttpRequest, app: str, request_id: str, route: str):
    """Common checks of the per-request routes; returns the request or a response."""
    injected = await _injected(request, route)
    if injected:
        return injected
    if not _authorized(request):
        return _unauthorized()
    emu = get_engine().get(request_id)
    if emu is None or emu.app != app.strip("/"):
        return detail(f"Request {request_id} not found", 404)
    return emu


@csrf_exempt
async def queue_status(request: HttpRequest, app: str, request_id: str) -> HttpResponse:
    emu = await _queued(request, app, request_id, "status")
    if isinstance(emu, HttpResponse):
        return emu
    body = get_engine().snapshot(request_id, logs=_wants_logs(request))
    code = 200 if body and body["status"] == "COMPLETED" else 202
    return _with_request_id(JsonResponse(body, status=code), request_id)


@csrf_exempt
async def queue_status_stream(request: HttpRequest, app: str, request_id: str) -> HttpResponse:
    emu = await _queued(request, app, request_id, "stream")
    if isinstance(emu, HttpResponse):
        return emu
    rules, source = _faults(request)
    drop = fault_rules.book.pick("stream", source, rules, action="drop")
    return _with_request_id(
        _sse(_status_events(request_id, _wants_logs(request), drop)), request_id
    )


async def _status_events(request_id: str, logs: bool, drop: object) -> AsyncIterator[Any]:
    """Each status change until COMPLETED, then the stream closes (no 'done' event)."""
    subscription = get_engine().subscribe(request_id, logs=logs)
    seen = 0
    try:
        while True:
            snapshot = await subscription.next()
            if logs:
                # Each event carries only the lines new since the last one; the official
                # JS client appends them, as it did when polling.
                all_logs = snapshot["logs"] or []
                snapshot["logs"], seen = all_logs[seen:], len(all_logs)
            yield snapshot
            if snapshot["status"] == "COMPLETED" or drop:
                return
    finally:
        subscription.close()


@csrf_exempt
async def queue_result(request: HttpRequest, app: str, request_id: str) -> HttpResponse:
    emu = await _queued(request, app, request_id, "result")
    if isinstance(emu, HttpResponse):
        return emu
    if emu.status != "COMPLETED":
        body = get_engine().snapshot(request_id, logs=False)
        return _with_request_id(JsonResponse(body, status=202), request_id)
    return _result_response(emu)


@csrf_exempt
async def queue_cancel(request: HttpRequest, app: str, request_id: str) -> HttpResponse:
    if request.method != "PUT":
        return detail("Method not allowed", 405)
    emu = await _queued(request, app, request_id, "cancel")
    if isinstance(emu, HttpResponse):
        return emu
    outcome = get_engine().cancel(request_id)
    code = {"CANCELLATION_REQUESTED": 202, "ALREADY_COMPLETED": 400}.get(outcome, 404)
    return _with_request_id(JsonResponse({"status": outcome}, status=code), request_id)


# -- run and stream -----------------------------------------------------------------------
@csrf_exempt
async def run(request: HttpRequest, endpoint_path: str) -> HttpResponse:
    if request.method != "POST":
        return detail("Method not allowed", 405)
    is_stream = endpoint_path.rstrip("/").endswith("/stream")
    injected = await _injected(request, "run")
    if injected:
        return injected
    path = endpoint_path.rstrip("/").removesuffix("/stream") if is_stream else endpoint_path
    emu = await _prepare(request, path)
    if isinstance(emu, HttpResponse):
        return emu
    engine = get_engine()
    engine.submit(emu)
    if is_stream:
        return _with_request_id(_sse(_stream_events(emu)), emu.request_id)
    await engine.wait(emu.request_id)
    return _result_response(emu)


async def _stream_events(emu: EmuRequest) -> AsyncIterator[Any]:
    """Progress events (new log lines) while it runs, then the output as the last event."""
    subscription = get_engine().subscribe(emu.request_id, logs=True)
    seen = 0
    try:
        while True:
            snapshot = await subscription.next()
            if snapshot["status"] == "COMPLETED":
                break
            new_logs = (snapshot["logs"] or [])[seen:]
            seen += len(new_logs)
            if new_logs:
                yield {"status": snapshot["status"], "logs": new_logs}
    finally:
        subscription.close()
    if emu.failure:
        yield {
            "error": emu.failure.message,
            "error_type": emu.failure.error_type,
            **emu.failure.body,
        }
    else:
        yield emu.output


# -- REST: tokens and storage -------------------------------------------------------------
@csrf_exempt
async def rest_token(request: HttpRequest) -> HttpResponse:
    injected = await _injected(request, "token")
    if injected:
        return injected
    if request.method != "POST":
        return detail("Method not allowed", 405)
    if not _authorized(request):
        return _unauthorized()
    data, error = _json_body(request)
    if error:
        return error
    apps = data.get("allowed_apps") if isinstance(data, dict) else None
    expiration = data.get("token_expiration", 120) if isinstance(data, dict) else 120
    if not isinstance(apps, list) or not apps or not all(isinstance(a, str) for a in apps):
        return detail("allowed_apps must be a non-empty list of app aliases", 422)
    if not isinstance(expiration, int) or not 10 <= expiration <= 86400:
        return detail("token_expiration must be between 10 and 86400 seconds", 422)
    return JsonResponse(tokens.mint(apps, expiration), safe=False, status=201)


@csrf_exempt
async def storage_initiate(request: HttpRequest, multipart: bool = False) -> HttpResponse:
    injected = await _injected(request, "upload")
    if injected:
        return injected
    if request.method != "POST":
        return detail("Method not allowed", 405)
    if not _authorized(request):
        return _unauthorized()
    data, error = _json_body(request)
    if error:
        return error
    data = data if isinstance(data, dict) else {}
    content_type = str(data.get("content_type") or "application/octet-stream")
    name = str(
        data.get("file_name") or "upload" + (mimetypes.guess_extension(content_type) or ".bin")
    )
    token, upload = files.uploads.start(name, content_type)
    base = base_url(request)
    kind = "multipart" if multipart else "upload"
    return JsonResponse(
        {
            "upload_url": f"{base}/cdn/{kind}/{token}",
            "file_url": files.public_url(base, upload.key, upload.name),
        }
    )


@csrf_exempt
async def storage_auth_token(request: HttpRequest) -> HttpResponse:
    """Python client's v3 CDN path: a token, then POST <cdn>/files/upload (§7.2)."""
    if request.method != "POST":
        return detail("Method not allowed", 405)
    if not _authorized(request):
        return _unauthorized()
    from datetime import UTC, datetime, timedelta

    expires = datetime.now(UTC) + timedelta(hours=1)
    return JsonResponse(
        {
            "token": tokens.mint(["cdn-upload"], 3600),
            "token_type": "Bearer",
            "base_url": f"{base_url(request)}/cdn",
            "expires_at": expires.isoformat(),
        }
    )


def _cdn_token_ok(request: HttpRequest) -> bool:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    try:
        tokens.verify(token.strip(), "cdn-upload")
    except tokens.TokenError:
        return False
    return scheme.lower() == "bearer"


def _read_limited(request: HttpRequest) -> bytes | None:
    """The raw request body, or None when it is larger than the emulator accepts."""
    limit = settings.LOCALFAL_MAX_UPLOAD_BYTES
    if int(request.headers.get("Content-Length") or 0) > limit:
        return None
    data = request.read(limit + 1)
    return None if len(data) > limit else data


def _too_large() -> JsonResponse:
    return detail("File is larger than this emulator accepts (LOCALFAL_MAX_UPLOAD_BYTES).", 413)


@csrf_exempt
async def cdn_upload_direct(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return detail("Method not allowed", 405)
    if not _cdn_token_ok(request):
        return detail("Invalid or expired upload token", 401)
    data = await sync_to_async(_read_limited)(request)
    if data is None:
        return _too_large()
    name = request.headers.get("X-Fal-File-Name") or "upload" + (
        mimetypes.guess_extension(request.content_type or "") or ".bin"
    )
    key, name = await sync_to_async(files.save)(data, name)
    return JsonResponse({"access_url": files.public_url(base_url(request), key, name)})


@csrf_exempt
async def cdn_put(request: HttpRequest, token: str) -> HttpResponse:
    """The signed `upload_url` target: raw bytes, no Authorization (§7.1)."""
    if request.method != "PUT":
        return detail("Method not allowed", 405)
    upload = files.uploads.finish(token)
    if upload is None:
        return detail("Unknown or expired upload URL", 404)
    data = await sync_to_async(_read_limited)(request)
    if data is None:
        return _too_large()
    await sync_to_async(files.save)(data, upload.name, key=upload.key)
    return HttpResponse(status=200)


@csrf_exempt
async def cdn_multipart_part(request: HttpRequest, token: str, number: int) -> HttpResponse:
    upload = files.uploads.get(token)
    if request.method != "PUT":
        return detail("Method not allowed", 405)
    if upload is None:
        return detail("Unknown or expired upload URL", 404)
    data = await sync_to_async(_read_limited)(request)
    if data is None:
        return _too_large()
    upload.parts[number] = data
    etag = f'"{number}-{len(data)}"'
    return JsonResponse({"partNumber": number, "etag": etag}, headers={"ETag": etag})


@csrf_exempt
async def cdn_multipart_complete(request: HttpRequest, token: str) -> HttpResponse:
    if request.method != "POST":
        return detail("Method not allowed", 405)
    upload = files.uploads.get(token)
    if upload is None:
        return detail("Unknown or expired upload URL", 404)
    data, error = _json_body(request)
    if error:
        return error
    numbers = [p.get("partNumber") for p in (data or {}).get("parts", []) if isinstance(p, dict)]
    if not numbers or any(n not in upload.parts for n in numbers):
        return detail("parts must list every uploaded partNumber", 400)
    files.uploads.finish(token)
    blob = b"".join(upload.parts[n] for n in sorted(numbers))
    await sync_to_async(files.save)(blob, upload.name, key=upload.key)
    return JsonResponse({"file_url": files.public_url(base_url(request), upload.key, upload.name)})


async def cdn_file(request: HttpRequest, key: str, name: str) -> HttpResponse:
    if not await sync_to_async(files.exists)(key, name):
        return detail("File not found", 404)
    from django.core.files.storage import default_storage

    handle = await sync_to_async(default_storage.open)(files.storage_path(key, name), "rb")
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    response = FileResponse(handle, content_type=content_type)
    response["Cache-Control"] = "public, max-age=604800, immutable"
    response["Access-Control-Allow-Origin"] = "*"
    return response
