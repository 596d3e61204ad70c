"""The gateway's one engine behind both entrances (DESIGN.md "Gateway"):

caller -> allowed target -> the resolved fal key injected -> forwarded (server-sent events
streamed as they come) -> one log row per fal request.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

from asgiref.sync import sync_to_async
from django.conf import settings
from django.http import HttpRequest

from playground.accounts.credentials import NoFalKey, resolve_fal_key
from playground.fal.forward import UpstreamFailed, open_upstream
from playground.gateway import addresses, requestlog
from playground.gateway.callers import Caller, Refused
from playground.gateway.models import RequestLog
from playground.gateway.targets import Kind, Target, TargetRefused
from playground.lib.memo import Memory, NotRemembered
from playground.limits import counter
from playground.limits.budgets import OverBudget, check_budgets
from playground.limits.quotas import Quota, quota_for

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
CLIENT_PROXY = "playground-gateway"
# How a browser should treat an answer is this site's to say, not fal's (nor the
# emulator's, whose policy would name its own address): these come from us alone.
SITE_POLICY_HEADERS = frozenset(
    {
        "content-security-policy",
        "content-security-policy-report-only",
        "x-frame-options",
        "x-content-type-options",
        "referrer-policy",
        "cross-origin-opener-policy",
        "strict-transport-security",
    }
)
# Answers the gateway reads whole (to learn the request id, or to rewrite URLs in them).
MAX_BUFFERED_ANSWER = 64 * 1024 * 1024


# Calls that start paid work: refused once a budget of the caller is reached (uploads and
# an accepted request's follow-ups go on).
SPENDING = frozenset({Kind.RUN, Kind.SUBMIT, Kind.TOKEN})
SMALL_BODY_BYTES = 64 * 1024  # status, cancel, upload initiate, token: a few fields at most


@dataclass(frozen=True)
class Admission:
    caller: Caller
    key: str  # the fal key to inject
    row: RequestLog | None  # the log row of the request asked about (Kind.REQUEST)
    quota: Quota | None = None  # counted against; None for follow-ups of a request


@dataclass
class Answer:
    """What the gateway answers, whichever server machinery sends it (lane.py or Django)."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes = b""
    stream: AsyncIterator[bytes] | None = None  # sent as it comes, instead of `body`


def detail(message: str, status: int, headers: tuple[tuple[str, str], ...] = ()) -> Answer:
    body = json.dumps({"detail": message}).encode()
    return Answer(status, [("Content-Type", "application/json"), *headers], body)


def refused(refusal: Refused | TargetRefused) -> Answer:
    extra = (("WWW-Authenticate", 'Key realm="playground"'),) if refusal.status == 401 else ()
    return detail(str(refusal), refusal.status, extra + getattr(refusal, "headers", ()))


def body_cap(target: Target) -> int:
    """The most a call to this target may send: model inputs up to the gateway's limit,
    a few kilobytes for everything else."""
    if target.kind in (Kind.RUN, Kind.SUBMIT):
        return settings.GATEWAY_MAX_BODY_BYTES
    return SMALL_BODY_BYTES


def too_large(target: Target) -> Answer:
    return detail(f"This call may send at most {body_cap(target)} bytes.", 413)


async def admitted(
    request: HttpRequest, target: Target, identify: Callable[..., Caller]
) -> Admission:
    """`admit`, from memory when everything about the caller is remembered (no thread hop,
    no query: memo.py), else in a thread with the database; then counted against the
    caller's rate limit. Raises Refused (429 with Retry-After over the limit)."""
    try:
        admission = admit(request, target, identify, memory_only=True)
    except NotRemembered:
        admission = await sync_to_async(admit)(request, target, identify)
    try:
        await counter.ahit(admission.quota)
    except counter.Limited as limited:
        raise Refused(str(limited), 429, limited.headers) from None
    return admission


def admit(
    request: HttpRequest,
    target: Target,
    identify: Callable[..., Caller],
    *,
    memory_only: bool = False,
) -> Admission:
    """Who calls (`identify(memory_only=...)`), with which fal key, and the log row of the
    request they ask about; or Refused. All the database work of a call before it goes
    out, in one thread hop."""
    caller = identify(memory_only=memory_only)
    if request.method not in METHODS[target.kind]:
        raise Refused(f"{request.method} is not how fal's {target.kind} calls are made.", 405)
    try:
        key, own_key = _keys.recall(
            (caller.user_id, caller.team_id), lambda: fal_key_for(caller), memory_only=memory_only
        )
    except NoFalKey as exc:
        raise Refused(str(exc), 403) from None
    if target.kind is not Kind.REQUEST:
        # Polls, results, cancels and streams of an accepted request are not counted.
        if target.kind in SPENDING:
            _check_budgets(caller, memory_only)
        quota = quota_for(
            caller.user_id, team_id=caller.team_id, token=caller.token, memory_only=memory_only
        )
        return Admission(caller, key, None, quota)
    found = _requests.recall(
        (caller.user_id, target.request_id, own_key),
        lambda: _request_row(caller, target.request_id, own_key),
        memory_only=memory_only,
    )
    if found is None:
        # Requests made with a shared key (the server's, the emulator's) answer only the
        # person who made them, as fal answers only the key that made them.
        raise Refused(f"Request {target.request_id} not found", 404)
    return Admission(caller, key, found[0])


def _check_budgets(caller: Caller, memory_only: bool) -> None:
    try:
        check_budgets(
            caller.user_id, team_id=caller.team_id, token=caller.token, memory_only=memory_only
        )
    except OverBudget as over:
        raise Refused(str(over), over.status) from None


# Remembered for a few seconds (memo.py): fal keys by (user, team); requests a caller may
# ask about, by (user, request id, own key).
_keys: Memory[tuple[str, bool]] = Memory()
_requests: Memory[tuple[RequestLog | None]] = Memory()


def forget_keys(**_) -> None:
    """A fal key was stored or removed in this process: look keys up again."""
    _keys.clear()


def _request_row(caller: Caller, request_id: str, own_key: bool) -> tuple[RequestLog | None] | None:
    row = requestlog.owned_row(caller, request_id)
    if row is not None or own_key or requestlog.owns_generation(caller, request_id):
        return (row,)
    return None


def fal_key_for(caller: Caller) -> tuple[str, bool]:
    """The fal key to inject (team > personal > server, or the emulator's), and whether
    it is the caller's own (then fal itself keeps other people's requests apart)."""
    key = resolve_fal_key(caller.user_id, caller.team_id)
    if key is None:
        return settings.LOCALFAL_KEY, False
    return key, key != settings.FAL_KEY


async def forward(
    request: HttpRequest,
    target: Target,
    admission: Admission,
    body: bytes,
    *,
    entrance: str,
    through_route: bool = False,
) -> Answer:
    """Send the admitted call to fal and answer with fal's answer (URLs rewritten for the
    caller), logging it."""
    caller, row = admission.caller, admission.row
    started = time.monotonic()
    try:
        upstream = await open_upstream(
            request.method,
            addresses.upstream_url(target),
            headers=_headers(request, admission, entrance),
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
    headers = [(name, value) for name, value in upstream.headers
               if name.lower() not in SITE_POLICY_HEADERS]  # fmt: skip
    if not streamed:
        return Answer(upstream.status, headers, answer)
    if upstream.content_type.startswith("text/event-stream"):
        headers += [("Cache-Control", "no-cache"), ("X-Accel-Buffering", "no")]  # nginx too
    chunks = _rewriting(upstream.chunks(), pairs)
    return Answer(upstream.status, headers, stream=_counted(chunks, row_id))


def _headers(request: HttpRequest, admission: Admission, entrance: str) -> dict[str, str]:
    kept = {
        name.lower(): value
        for name, value in request.headers.items()
        if name.lower() in FORWARDED_HEADERS
    }
    # Who is behind the call, as @fal-ai/server-proxy says it; and, when configured, our
    # own attribution (callers cannot set it: unknown x-fal-* headers are dropped above).
    kept["x-fal-client-proxy"] = CLIENT_PROXY
    if settings.GATEWAY_TAGS_HEADER:
        kept[settings.GATEWAY_TAGS_HEADER.lower()] = _tags(admission.caller, entrance)
    return {**kept, "Authorization": f"Key {admission.key}"}


def _tags(caller: Caller, entrance: str) -> str:
    tags = {"source": "playground", "entrance": entrance, "user": caller.user_id,
            "team": caller.team_id, "token": caller.token.pk if caller.token else None}  # fmt: skip
    return ",".join(f"{name}:{value}" for name, value in tags.items() if value is not None)


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
    chunks: AsyncIterator[bytes], pairs: tuple[tuple[bytes, bytes], ...]
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
