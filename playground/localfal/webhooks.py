"""Signed webhook delivery, as fal does it (fal-protocol.md §9).

A submit's `fal_webhook` must resolve to public addresses only, or be this server itself
(`webhook_target`, called at submit); every delivery attempt checks it again and connects
to the address checked (playground.lib.egress), without following redirects.

When a request submitted with `?fal_webhook=<url>` completes, the engine schedules
`deliver(request)` on its own event loop. The body and the four `X-Fal-Webhook-*` headers
match fal's; the signature is Ed25519 over "request_id\\nuser_id\\ntimestamp\\nsha256(body)"
with a key pair made once per process and published as a JWKS at
`<localfal>/rest/.well-known/jwks.json`, so receivers verify exactly as they would for fal.
A restart makes a new key: receivers refetch the JWKS when a signature does not verify.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import logging
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.conf import settings
from django.http import HttpRequest

from playground.lib import egress
from playground.localfal.engine import EmuRequest

log = logging.getLogger(__name__)
USER_ID = "localfal"
TIMEOUT_SECONDS = 15.0
# Seconds before each retry at LOCALFAL_SPEED = 1: ten attempts over about two hours,
# as fal documents ("10 times in the span of 2 hours").
RETRY_DELAYS = (10, 30, 60, 120, 300, 600, 1200, 1800, 3000)

_key: Ed25519PrivateKey | None = None
_key_lock = threading.Lock()


def signing_key() -> Ed25519PrivateKey:
    """This process's key, made on first use (views and the engine thread may race)."""
    global _key
    with _key_lock:
        if _key is None:
            _key = Ed25519PrivateKey.generate()
        return _key


def _public_bytes() -> bytes:
    return signing_key().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jwks() -> dict[str, Any]:
    """The public key set; `kid` is the RFC 7638 thumbprint, so it changes with the key."""
    x = _b64url(_public_bytes())
    canonical = json.dumps({"crv": "Ed25519", "kty": "OKP", "x": x}, separators=(",", ":"))
    kid = _b64url(hashlib.sha256(canonical.encode()).digest())
    key = {"kty": "OKP", "crv": "Ed25519", "x": x, "kid": kid, "use": "sig", "alg": "EdDSA"}
    return {"keys": [key]}


def payload_of(request: EmuRequest) -> dict[str, Any]:
    """fal's webhook body: the output on success, the error body on failure."""
    body: dict[str, Any] = {
        "request_id": request.request_id,
        "gateway_request_id": request.request_id,  # the emulator never retries a request
    }
    if request.failure:
        body.update(
            status="ERROR",
            error=f"Invalid status code: {request.failure.status_code}",
            payload=request.failure.body,
        )
    else:
        body.update(status="OK", payload=request.output)
    return body


def encode(body: dict[str, Any]) -> bytes:
    """JSON bytes; an output that is not JSON travels as fal sends it (`payload_error`)."""
    try:
        return json.dumps(body).encode()
    except (TypeError, ValueError) as exc:
        fallback = {**body, "payload": None, "payload_error": f"Output is not JSON: {exc}"}
        return json.dumps(fallback).encode()


def signed_headers(request_id: str, body: bytes) -> dict[str, str]:
    timestamp = int(time.time())
    digest = hashlib.sha256(body).hexdigest()
    message = "\n".join([request_id, USER_ID, str(timestamp), digest]).encode()
    return {
        "Content-Type": "application/json",
        "X-Fal-Webhook-Request-Id": request_id,
        "X-Fal-Webhook-User-Id": USER_ID,
        "X-Fal-Webhook-Timestamp": str(timestamp),
        "X-Fal-Webhook-Signature": signing_key().sign(message).hex(),
    }


class WebhookRefused(ValueError):
    """A submit's `fal_webhook` that the emulator will not call (the message says why)."""


@dataclass(frozen=True)
class WebhookTarget:
    url: str | None
    to_self: bool = False


async def webhook_target(request: HttpRequest, base_url: str) -> WebhookTarget:
    """The submit's `fal_webhook`, if any; raises WebhookRefused unless every address of its
    host is public or it is this server itself (`own_origins`)."""
    url = request.GET.get("fal_webhook") or None
    if url is None:
        return WebhookTarget(None)
    try:
        hop = await egress.vet_async(url, allowed=own_origins(request, base_url))
    except egress.EgressRefused as exc:
        raise WebhookRefused(f"fal_webhook is refused: {exc}") from None
    return WebhookTarget(url, to_self=hop.address is None)


def own_origins(request: HttpRequest, base_url: str) -> frozenset[egress.Origin]:
    """This server: PUBLIC_BASE_URL, the emulator's base URL as this request reached it
    (when `_reached_directly`), and LOCALFAL_WEBHOOK_ORIGINS (receivers on this machine)."""
    urls = [settings.PUBLIC_BASE_URL, *settings.LOCALFAL_WEBHOOK_ORIGINS]
    if _reached_directly(request, base_url):
        urls.append(base_url)
    return egress.origins(urls)


def _reached_directly(request: HttpRequest, base_url: str) -> bool:
    """The Host header is the client's to choose: it names this server only when it is a
    host we serve by name (no pattern) on the port the request really arrived on, or else
    `Host: 127.0.0.1:6379` would make Redis "this server"."""
    _, host, port = egress.origin_of(base_url)
    named = {name.lower().strip("[]") for name in settings.ALLOWED_HOSTS}
    return host in named and str(port) == str(request.META.get("SERVER_PORT"))


def deliverable(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


async def deliver(request: EmuRequest) -> None:
    """POST the signed result to the request's webhook URL, retrying failed deliveries.

    Runs as a task on the engine loop: it only awaits, and never raises.
    """
    url = request.webhook_url or ""
    if not deliverable(url):
        log.warning(
            "localfal: not delivering webhook of %s: not an http(s) URL", request.request_id
        )
        return
    allowed = egress.origins([url]) if request.webhook_to_self else frozenset()
    try:
        body = encode(payload_of(request))
        await _deliver_with_retries(url, allowed, request.request_id, body)
    except Exception:  # a delivery bug must never surface in the engine
        log.exception("localfal: webhook delivery of %s crashed", request.request_id)


async def _deliver_with_retries(
    url: str, allowed: frozenset[egress.Origin], request_id: str, body: bytes
) -> None:
    for attempt, delay in enumerate((*RETRY_DELAYS, None), start=1):
        if await _attempt(url, allowed, request_id, body):
            return
        if delay is None:
            break
        log.info("localfal: webhook %s attempt %d failed; retrying", request_id, attempt)
        await asyncio.sleep(delay * settings.LOCALFAL_SPEED)
    log.warning("localfal: gave up delivering the webhook of %s", request_id)


async def _attempt(
    url: str, allowed: frozenset[egress.Origin], request_id: str, body: bytes
) -> bool:
    """One POST, its address checked afresh: a name may resolve elsewhere an hour later."""
    # Signed afresh each time: a retry hours later must still pass the receiver's clock check.
    headers = signed_headers(request_id, body)
    try:
        async with egress.stream(
            "POST",
            url,
            allowed=allowed,
            headers=headers,
            content=body,
            follow_redirects=False,
            timeout=TIMEOUT_SECONDS,
        ) as response:
            return 200 <= response.status_code < 300
    except egress.EgressRefused as exc:
        log.warning("localfal: webhook %s not delivered: %s", request_id, exc)
    except httpx.HTTPError as exc:
        log.info("localfal: webhook %s not delivered: %s", request_id, type(exc).__name__)
    return False
