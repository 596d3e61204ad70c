"""What every emulator endpoint shares: fal-style errors, faults, auth, input checks.

The endpoints themselves mirror fal-protocol.md: queue.py (§4), run.py (§3, §5) and
storage.py (§6.1, §7). All are async, so status streams hold no thread while they wait.
"""

from __future__ import annotations

import asyncio
import functools
import json
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.views.decorators.csrf import csrf_exempt

from playground.catalog.models import Endpoint
from playground.fal.endpoints import EndpointId, InvalidEndpointId
from playground.localfal import auth, webhooks
from playground.localfal import faults as fault_rules
from playground.localfal.engine import EmuRequest, get_engine
from playground.localfal.validation import fal_errors_off_loop
from playground.localfal.worker import with_defaults
from playground.usage import prices

View = Callable[..., Awaitable[HttpResponse]]

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


def base_url(request: HttpRequest) -> str:
    return request.build_absolute_uri("/localfal").rstrip("/")


def detail(message: str, status: int, **extra: Any) -> JsonResponse:
    return JsonResponse({"detail": message, **extra}, status=status)


def request_faults(request: HttpRequest) -> tuple[list[fault_rules.Fault], str]:
    """The server's fault rules, plus the caller's X-Localfal-Fault header where allowed
    (development and tests): in production a caller must not fail or slow requests."""
    header = request.headers.get(fault_rules.HEADER, "") if settings.LOCALFAL_FAULTS_ALLOWED else ""
    text = ",".join(filter(None, [settings.LOCALFAL_FAULTS, header]))
    return fault_rules.parse(text), text


async def injected_fault(request: HttpRequest, route: str) -> HttpResponse | None:
    """An injected failure or delay for this call, if a rule says so."""
    try:
        rules, source = request_faults(request)
    except fault_rules.FaultSyntaxError as exc:
        return detail(str(exc), 400, error_type="bad_request")
    slow = fault_rules.book.pick(route, source, rules, action="slow")
    if slow:
        await asyncio.sleep(slow.seconds)
    failing = [rule for rule in rules if rule.status_code]
    fault = fault_rules.book.pick(route, source, failing)
    return fault_response(fault.status_code) if fault and fault.status_code else None


def fault_response(code: int) -> HttpResponse:
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


def caller_key(request: HttpRequest) -> str:
    return auth.credential(request.headers.get("Authorization", ""))


def authorized(request: HttpRequest) -> bool:
    return auth.accepts(caller_key(request))


def owner_of(request: HttpRequest) -> str:
    return auth.fingerprint(caller_key(request))


def unauthorized() -> JsonResponse:
    return detail(
        "Missing or invalid credentials: send 'Authorization: Key <key>' with this "
        "emulator's key (LOCALFAL_KEY).",
        401,
    )


def json_body(request: HttpRequest) -> tuple[Any, JsonResponse | None]:
    """The JSON body, or fal's 422 for one that is not JSON or nests absurdly deep (which
    would otherwise overflow the stack of the parser or of schema validation)."""
    if not request.body:
        return {}, None
    try:
        data = json.loads(request.body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None, _body_error("JSON decode error", "json_invalid")
    if nesting_depth(data) > MAX_JSON_DEPTH:
        return None, _body_error(f"JSON nested deeper than {MAX_JSON_DEPTH} levels", "too_deep")
    return data, None


MAX_JSON_DEPTH = 64


def nesting_depth(data: Any) -> int:
    """How deeply lists and objects nest (iterative: no recursion to overflow)."""
    deepest, stack = 0, [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            value = list(value.values())
        if isinstance(value, list):
            deepest = max(deepest, depth)
            if depth <= MAX_JSON_DEPTH:
                stack.extend((item, depth + 1) for item in value)
    return deepest


def _body_error(message: str, error_type: str) -> JsonResponse:
    return JsonResponse(
        {"detail": [{"loc": ["body"], "msg": message, "type": error_type}]}, status=422
    )


ENDPOINT_CACHE_SECONDS = 5.0
# Ids come from URLs: any caller can ask for a million made-up ones, so the cache is bounded.
ENDPOINT_CACHE_SIZE = 2048
_endpoint_cache: OrderedDict[str, tuple[float, Endpoint | None]] = OrderedDict()


async def endpoint_for(endpoint_id: str) -> Endpoint | None:
    """The catalog row, cached briefly: a burst of submits should not queue on the DB."""
    now = time.monotonic()
    cached = _endpoint_cache.get(endpoint_id)
    if cached and now - cached[0] < ENDPOINT_CACHE_SECONDS:
        return cached[1]
    endpoint = await sync_to_async(Endpoint.objects.by_endpoint_id)(endpoint_id)
    _endpoint_cache[endpoint_id] = (now, endpoint)
    _endpoint_cache.move_to_end(endpoint_id)
    while len(_endpoint_cache) > ENDPOINT_CACHE_SIZE:
        _endpoint_cache.popitem(last=False)
    return endpoint


async def prepare(
    request: HttpRequest, endpoint_path: str, *, queued: bool = False
) -> EmuRequest | HttpResponse:
    """Endpoint lookup and input validation shared by submit, run and stream.

    A direct run answers 422 at once. A queued submit is accepted as fal's queue does: the
    model validates when it runs, so the request ends COMPLETED with the error and its
    result answers 422 (as a webhook would carry it).
    """
    if get_engine().queue_full():
        return detail("Too many requests are waiting in this emulator's queue; try later.", 429)
    try:
        endpoint_id = EndpointId.parse(endpoint_path)
    except InvalidEndpointId as exc:
        return detail(str(exc), 404)
    endpoint = await endpoint_for(endpoint_id.full)
    if endpoint is None:
        return detail(f"Application '{endpoint_id.full}' not found", 404)
    data, error = json_body(request)
    if error:
        return error
    problems = await fal_errors_off_loop(endpoint.input_schema, data)
    if problems and not queued:
        return JsonResponse({"detail": problems}, status=422, headers={"X-Fal-Retryable": "false"})
    start_timeout = start_timeout_of(request)
    if isinstance(start_timeout, HttpResponse):
        return start_timeout
    try:
        webhook = await webhooks.webhook_target(request, base_url(request))
    except webhooks.WebhookRefused as exc:
        return detail(str(exc), 400, error_type="bad_request")
    rules, source = request_faults(request)
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
        webhook_url=webhook.url,
        webhook_to_self=webhook.to_self,
        priority=request.headers.get("X-Fal-Queue-Priority", "normal"),
        owner=owner_of(request),
        pricing_unit=await pricing_unit(endpoint_id.full),
    )


async def pricing_unit(endpoint_id: str) -> str:
    """The unit the endpoint is priced in ('' when it has no price): the emulator bills
    in it, as fal does."""
    found = await prices.aquote(endpoint_id)
    return found.unit if found else ""


def start_timeout_of(request: HttpRequest) -> float | HttpResponse | None:
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


def with_request_id(response: HttpResponse, request_id: str) -> HttpResponse:
    response["x-fal-request-id"] = request_id
    return response


def result_response(emu: EmuRequest) -> HttpResponse:
    if emu.failure:
        response = JsonResponse(emu.failure.body, status=emu.failure.status_code)
        response["X-Fal-Error-Type"] = emu.failure.error_type
        for name, value in emu.failure.headers.items():
            response[name] = value
    else:
        response = JsonResponse(emu.output, safe=False)
        if emu.billable_units is not None:  # fal bills successful outputs only
            response["x-fal-billable-units"] = f"{emu.billable_units:.6f}".rstrip("0").rstrip(".")
    return with_request_id(response, emu.request_id)


def wants_logs(request: HttpRequest) -> bool:
    # JS sends logs=1/0, Python logs=true/false (fal-protocol.md §4.2).
    return request.GET.get("logs", "0").lower() in ("1", "true")


def sse(events: AsyncIterator[Any]) -> StreamingHttpResponse:
    async def body() -> AsyncIterator[bytes]:
        async for event in events:
            yield f"data: {json.dumps(event)}\n\n".encode()

    response = StreamingHttpResponse(body(), content_type="text/event-stream")
    response["Cache-Control"] = "no-store"
    response["X-Accel-Buffering"] = "no"
    return response


def api(method: str, *, route: str | None = None, auth: bool = True) -> Callable[[View], View]:
    """The preamble of an emulator endpoint: CSRF-exempt (it is an API), one HTTP method,
    injected faults for `route`, and fal's `Authorization: Key ...` unless `auth` is off."""

    def decorate(view: View) -> View:
        @csrf_exempt
        @functools.wraps(view)
        async def endpoint(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.method != method:
                return detail("Method not allowed", 405)
            if route:
                injected = await injected_fault(request, route)
                if injected:
                    return injected
            if auth and not authorized(request):
                return unauthorized()
            return await view(request, *args, **kwargs)

        return endpoint

    return decorate
