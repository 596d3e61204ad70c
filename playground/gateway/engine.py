"""The gateway's one engine behind both entrances (DESIGN.md "Gateway"):

caller -> allowed target -> the resolved fal key injected -> forwarded (server-sent events
streamed as they come) -> one log row per fal request.
"""

from __future__ import annotations

import math
import time
from collections.abc import AsyncIterator

from asgiref.sync import sync_to_async
from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse

from playground.accounts.credentials import NoFalKey, resolve_fal_key
from playground.fal.forward import Upstream, UpstreamFailed, open_upstream
from playground.gateway import addresses, requestlog
from playground.gateway.callers import Caller, Refused, identify
from playground.gateway.models import RequestLog
from playground.gateway.targets import Kind, Target

METHODS = {
    Kind.RUN: {"POST", "GET"},
    Kind.SUBMIT: {"POST"},
    Kind.REQUEST: {"GET", "PUT"},  # fal's cancel is a PUT
    Kind.UPLOAD: {"POST"},
    Kind.TOKEN: {"POST"},
}
# fal headers a caller may set; others (billing tags, anything unknown) are dropped.
FORWARDED_FAL_HEADERS = frozenset(
    {
        "x-fal-request-timeout",
        "x-fal-runner-hint",
        "x-fal-queue-priority",
        "x-fal-no-retry",
        "x-fal-object-lifecycle-preference",
        "x-fal-store-io",
    }
)
FORWARDED_HEADERS = frozenset({"content-type", "accept"}) | FORWARDED_FAL_HEADERS
# Answers the gateway reads whole (to learn the request id, or to rewrite URLs in them).
MAX_BUFFERED_ANSWER = 64 * 1024 * 1024


def detail(message: str, status: int) -> JsonResponse:
    return JsonResponse({"detail": message}, status=status)


async def forward(
    request: HttpRequest, target: Target, *, entrance: str, through_route: bool = False
) -> HttpResponse:
    try:
        caller, key, row = await sync_to_async(admit)(request, target)
    except Refused as refusal:
        return refusal.response()
    body = request.read()
    started = time.monotonic()
    try:
        upstream = await open_upstream(
            request.method,
            addresses.upstream_url(target),
            headers=_headers(request, key),
            body=body,
            timeout=_timeout(request),
        )
    except UpstreamFailed as failure:
        if target.kind is not Kind.REQUEST:
            await _record(caller, target, request, entrance, failure.status, started, body,
                          error=str(failure))  # fmt: skip
        return detail(str(failure), failure.status)
    pairs = addresses.rewrites(request, through_route=through_route)
    streamed = upstream.content_type.startswith("text/event-stream") or not (
        pairs or target.kind is Kind.SUBMIT or target.action == "status"
    )
    answer = b""
    if not streamed:
        try:
            answer = addresses.rewrite(await upstream.read(MAX_BUFFERED_ANSWER), pairs)
        except UpstreamFailed as failure:
            return detail(str(failure), failure.status)
    billable = requestlog.billable_units(upstream.header("x-fal-billable-units"))
    if target.kind is Kind.REQUEST:
        await requestlog.record_follow_up(
            row, target, status=upstream.status, answer=answer, billable=billable
        )
        row_id = row.pk if row else None
    else:
        request_id = (
            requestlog.request_id_of(answer)
            if target.kind is Kind.SUBMIT
            else upstream.header("x-fal-request-id")
        )
        row_id = await _record(
            caller, target, request, entrance, upstream.status, started, body,
            request_id=request_id, billable=billable, output_body=answer,
        )  # fmt: skip
    if not streamed:
        return _whole(upstream, answer)
    chunks = _rewriting(upstream.chunks(), pairs)
    return _streamed(upstream, _counted(chunks, row_id))


def admit(request: HttpRequest, target: Target) -> tuple[Caller, str, RequestLog | None]:
    """Who calls, with which fal key, and the log row of the request they ask about; or
    Refused. All the database work of a call before it goes out, in one thread hop."""
    caller = identify(request)
    if request.method not in METHODS[target.kind]:
        raise Refused(f"{request.method} is not how fal's {target.kind} calls are made.", 405)
    try:
        key, own_key = fal_key_for(caller)
    except NoFalKey as exc:
        raise Refused(str(exc), 403) from None
    if target.kind is not Kind.REQUEST:
        return caller, key, None
    row = requestlog.owned_row(caller, target.request_id)
    if row is None and not own_key and not requestlog.owns_generation(caller, target.request_id):
        # Requests made with a shared key (the server's, the emulator's) answer only the
        # person who made them, as fal answers only the key that made them.
        raise Refused(f"Request {target.request_id} not found", 404)
    return caller, key, row


def fal_key_for(caller: Caller) -> tuple[str, bool]:
    """The fal key to inject (team > personal > server, or the emulator's), and whether
    it is the caller's own (then fal itself keeps other people's requests apart)."""
    key = resolve_fal_key(caller.user_id, caller.team_id)
    if key is None:
        return settings.LOCALFAL_KEY, False
    return key, key != settings.FAL_KEY


def _headers(request: HttpRequest, key: str) -> dict[str, str]:
    kept = {
        name.lower(): value
        for name, value in request.headers.items()
        if name.lower() in FORWARDED_HEADERS
    }
    return {**kept, "Authorization": f"Key {key}"}


def _timeout(request: HttpRequest) -> float:
    """fal's own request timeout when the caller set one, plus a margin; else the gateway's."""
    try:
        asked = float(request.headers.get("x-fal-request-timeout", ""))
    except ValueError:
        return settings.GATEWAY_TIMEOUT_SECONDS
    # "nan", "inf" and negative numbers parse too: only a real wait counts, at most an hour.
    if not math.isfinite(asked) or asked <= 0:
        return settings.GATEWAY_TIMEOUT_SECONDS
    return min(asked + 30, 3600.0)


async def _rewriting(
    chunks: AsyncIterator[bytes], pairs: list[tuple[bytes, bytes]]
) -> AsyncIterator[bytes]:
    # Event streams come an event per chunk from fal and the emulator alike, so URLs in
    # them are whole within a chunk.
    async for chunk in chunks:
        yield addresses.rewrite(chunk, pairs) if pairs else chunk


async def _counted(chunks: AsyncIterator[bytes], row_id: int | None) -> AsyncIterator[bytes]:
    """Pass the body on, then add what went out to the row (also when the caller left)."""
    sent = 0
    try:
        async for chunk in chunks:
            sent += len(chunk)
            yield chunk
    finally:
        if row_id is not None and sent:
            await requestlog.add_bytes_out(row_id, sent)


def _streamed(upstream: Upstream, body: AsyncIterator[bytes]) -> StreamingHttpResponse:
    response = StreamingHttpResponse(body, status=upstream.status)
    _copy_headers(upstream, response)
    if upstream.content_type.startswith("text/event-stream"):
        response["Cache-Control"] = "no-cache"
        response["X-Accel-Buffering"] = "no"  # nginx in front must not hold events back
    return response


def _whole(upstream: Upstream, body: bytes) -> HttpResponse:
    response = HttpResponse(body, status=upstream.status)
    _copy_headers(upstream, response)
    return response


def _copy_headers(upstream: Upstream, response: HttpResponse) -> None:
    for name, value in upstream.headers:
        response[name] = value


async def _record(caller, target, request, entrance, status, started, body, **extra) -> int:
    return await requestlog.record_call(
        caller,
        target,
        entrance=entrance,
        method=request.method,
        status=status,
        latency_ms=int((time.monotonic() - started) * 1000),
        bytes_in=len(body),
        request_id=extra.get("request_id", ""),
        billable_units=extra.get("billable"),
        error=extra.get("error", ""),
        input_body=body,
        output_body=extra.get("output_body", b""),
    )
