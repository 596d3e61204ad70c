"""The queue host (https://queue.fal.run): submit, status, status stream, result, cancel."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse

from playground.localfal import faults as fault_rules
from playground.localfal.engine import EmuRequest, get_engine
from playground.localfal.views.common import (
    api,
    detail,
    owner_of,
    prepare,
    request_faults,
    result_response,
    sse,
    wants_logs,
    with_request_id,
)


@api("POST", route="submit")
async def submit(request: HttpRequest, endpoint_path: str) -> HttpResponse:
    emu = await prepare(request, endpoint_path, queued=True)
    if isinstance(emu, HttpResponse):
        return emu
    body = get_engine().submit(emu)
    body.pop("logs", None)
    if emu.webhook_url:
        body["gateway_request_id"] = emu.request_id
    return with_request_id(JsonResponse(body), emu.request_id)


def _lookup(request: HttpRequest, app: str, request_id: str) -> EmuRequest | HttpResponse:
    """The request, if it exists under this app (status URLs use owner/alias only) and was
    submitted with the caller's key: anyone else's answers exactly as a missing one."""
    emu = get_engine().get(request_id)
    if emu is None or emu.app != app.strip("/") or emu.owner != owner_of(request):
        return detail(f"Request {request_id} not found", 404)
    return emu


@api("GET", route="status")
async def status(request: HttpRequest, app: str, request_id: str) -> HttpResponse:
    emu = _lookup(request, app, request_id)
    if isinstance(emu, HttpResponse):
        return emu
    body = get_engine().snapshot(request_id, logs=wants_logs(request))
    code = 200 if body and body["status"] == "COMPLETED" else 202
    return with_request_id(JsonResponse(body, status=code), request_id)


@api("GET", route="stream")
async def status_stream(request: HttpRequest, app: str, request_id: str) -> HttpResponse:
    emu = _lookup(request, app, request_id)
    if isinstance(emu, HttpResponse):
        return emu
    rules, source = request_faults(request)
    drop = fault_rules.book.pick("stream", source, rules, action="drop") is not None
    events = _status_events(request_id, wants_logs(request), drop)
    return with_request_id(sse(events), request_id)


async def _status_events(request_id: str, logs: bool, drop: bool) -> AsyncIterator[Any]:
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


@api("GET", route="result")
async def result(request: HttpRequest, app: str, request_id: str) -> HttpResponse:
    emu = _lookup(request, app, request_id)
    if isinstance(emu, HttpResponse):
        return emu
    if emu.status != "COMPLETED":
        body = get_engine().snapshot(request_id, logs=False)
        return with_request_id(JsonResponse(body, status=202), request_id)
    return result_response(emu)


@api("PUT", route="cancel")
async def cancel(request: HttpRequest, app: str, request_id: str) -> HttpResponse:
    emu = _lookup(request, app, request_id)
    if isinstance(emu, HttpResponse):
        return emu
    outcome = get_engine().cancel(request_id)
    code = {"CANCELLATION_REQUESTED": 202, "ALREADY_COMPLETED": 400}.get(outcome, 404)
    return with_request_id(JsonResponse({"status": outcome}, status=code), request_id)


@api("GET", auth=False)
async def emulator_requests(request: HttpRequest) -> HttpResponse:
    """Not part of fal: what this emulator has been asked to run (development and tests
    only, LOCALFAL_INSPECT: it lists every caller's requests)."""
    if not settings.LOCALFAL_INSPECT:
        return detail("Not found", 404)
    return JsonResponse({"requests": get_engine().listing()})
