"""Signed webhook delivery, as fal does it (fal-protocol.md §9).

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
from typing import Any
from urllib.parse import urlsplit

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.conf import settings

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
    try:
        body = encode(payload_of(request))
        async with httpx.AsyncClient(timeout=TIMEOUT_SECONDS, follow_redirects=False) as http:
            await _deliver_with_retries(http, url, request.request_id, body)
    except Exception:  # a delivery bug must never surface in the engine
        log.exception("localfal: webhook delivery of %s crashed", request.request_id)


async def _deliver_with_retries(
    http: httpx.AsyncClient, url: str, request_id: str, body: bytes
) -> None:
    for attempt, delay in enumerate((*RETRY_DELAYS, None), start=1):
        if await _attempt(http, url, request_id, body):
            return
        if delay is None:
            break
        log.info("localfal: webhook %s attempt %d failed; retrying", request_id, attempt)
        await asyncio.sleep(delay * settings.LOCALFAL_SPEED)
    log.warning("localfal: gave up delivering the webhook of %s", request_id)


async def _attempt(http: httpx.AsyncClient, url: str, request_id: str, body: bytes) -> bool:
    # Signed afresh each time: a retry hours later must still pass the receiver's clock check.
    headers = signed_headers(request_id, body)
    try:
        response = await http.post(url, content=body, headers=headers)
    except httpx.HTTPError as exc:
        log.info("localfal: webhook %s not delivered: %s", request_id, type(exc).__name__)
        return False
    return 200 <= response.status_code < 300
