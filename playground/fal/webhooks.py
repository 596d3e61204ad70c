"""Verifying fal's signed webhooks (fal-protocol.md §9.2).

fal signs "request_id\\nuser_id\\ntimestamp\\nhex(sha256(body))" with Ed25519 and publishes
its public keys as a JWKS. The emulator does the same at `{rest}/.well-known/jwks.json`,
so one code path verifies both:

    await verify_with_jwks(request.headers, body, fal_urls())   # raises WebhookError

Keys are cached (24 h at most, as fal asks); a signature that fails against cached keys
refetches them once, because fal (or a restarted emulator) may have rotated its key.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.core.cache import cache

from playground.fal.types import FalUrls

# fal documents its keys on the alpha REST host, not on rest.fal.ai.
FAL_JWKS_URL = "https://rest.alpha.fal.ai/.well-known/jwks.json"
JWKS_CACHE_SECONDS = 24 * 3600
# A forged signature must not make us refetch the keys on every request.
FORCED_REFRESH_COOLDOWN_SECONDS = 60
FETCH_TIMEOUT_SECONDS = 10.0
TOLERANCE_SECONDS = 300

REQUEST_ID = "x-fal-webhook-request-id"
USER_ID = "x-fal-webhook-user-id"
TIMESTAMP = "x-fal-webhook-timestamp"
SIGNATURE = "x-fal-webhook-signature"


class WebhookError(Exception):
    """A webhook that must not be trusted; `reason` is safe to log (no secrets)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class BadSignature(WebhookError):
    """Well-formed and fresh, but no known key signed it (perhaps a rotated key)."""


class KeysUnavailable(WebhookError):
    """fal's public keys could not be fetched: our problem, not the sender's."""


@dataclass(frozen=True)
class SignedHeaders:
    request_id: str
    user_id: str
    timestamp: str
    signature: bytes

    @classmethod
    def parse(cls, headers: Mapping[str, str]) -> SignedHeaders:
        lowered = {name.lower(): value for name, value in headers.items()}
        missing = [n for n in (REQUEST_ID, USER_ID, TIMESTAMP, SIGNATURE) if not lowered.get(n)]
        if missing:
            raise WebhookError(f"missing header {missing[0]}")
        try:
            signature = bytes.fromhex(lowered[SIGNATURE])
        except ValueError:
            raise WebhookError("signature is not hex") from None
        if len(signature) != 64:
            raise WebhookError("signature is not 64 bytes")
        return cls(lowered[REQUEST_ID], lowered[USER_ID], lowered[TIMESTAMP], signature)

    def message(self, body: bytes) -> bytes:
        digest = hashlib.sha256(body).hexdigest()
        return "\n".join([self.request_id, self.user_id, self.timestamp, digest]).encode()


def verify_webhook(
    headers: Mapping[str, str],
    body: bytes,
    *,
    keys: list[bytes],
    now: float | None = None,
    tolerance: int = TOLERANCE_SECONDS,
) -> None:
    """Return if one of `keys` (raw 32-byte Ed25519) signed this delivery recently.

    Raises WebhookError: missing or malformed headers, a timestamp more than `tolerance`
    seconds old or ahead (replays), or BadSignature.
    """
    signed = SignedHeaders.parse(headers)
    _check_timestamp(signed.timestamp, time.time() if now is None else now, tolerance)
    message = signed.message(body)
    if not any(_signed_by(key, signed.signature, message) for key in keys):
        raise BadSignature("signature does not match any known key")


def _check_timestamp(raw: str, now: float, tolerance: int) -> None:
    try:
        timestamp = int(raw)
    except ValueError:
        raise WebhookError("timestamp is not a whole number of seconds") from None
    if timestamp < now - tolerance:
        raise WebhookError("timestamp is too old")
    if timestamp > now + tolerance:
        raise WebhookError("timestamp is in the future")


def _signed_by(key: bytes, signature: bytes, message: bytes) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(key).verify(signature, message)
    except (InvalidSignature, ValueError):
        return False
    return True


# -- keys ---------------------------------------------------------------------------------
def decode_x(x: str) -> bytes:
    """A JWK `x`: base64url with or without `=` padding (fal's live JWKS pads it)."""
    text = x.strip().rstrip("=").replace("+", "-").replace("/", "_")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def parse_jwks(data: Any) -> list[bytes]:
    """The raw Ed25519 public keys of a JWKS document; other key types are skipped."""
    entries = data.get("keys") if isinstance(data, dict) else None
    keys = []
    for entry in entries if isinstance(entries, list) else []:
        if not _is_ed25519(entry):
            continue
        try:
            key = decode_x(str(entry.get("x", "")))
        except (binascii.Error, ValueError):
            continue
        if len(key) == 32:
            keys.append(key)
    return keys


def _is_ed25519(entry: Any) -> bool:
    return isinstance(entry, dict) and (entry.get("kty"), entry.get("crv")) == ("OKP", "Ed25519")


def jwks_url(urls: FalUrls) -> str:
    if urls.rest == FalUrls.real().rest:
        return FAL_JWKS_URL
    return f"{urls.rest}/.well-known/jwks.json"


def _cache_key(url: str) -> str:
    return f"fal:jwks:{hashlib.sha256(url.encode()).hexdigest()[:16]}"


async def fetch_jwks(
    urls: FalUrls, transport: httpx.AsyncBaseTransport | None = None, *, force: bool = False
) -> list[bytes]:
    """The signing keys of `urls`' backend, from the cache unless `force`.

    Raises KeysUnavailable if they cannot be fetched or hold no Ed25519 key.
    """
    url = jwks_url(urls)
    if not force:
        cached = await cache.aget(_cache_key(url))
        if cached:
            return cached
    keys = await _download(url, transport)
    await cache.aset(_cache_key(url), keys, JWKS_CACHE_SECONDS)
    return keys


async def _download(url: str, transport: httpx.AsyncBaseTransport | None) -> list[bytes]:
    # The JWKS is public: no fal key is sent, so a separate client from FalClient's.
    try:
        async with httpx.AsyncClient(transport=transport, timeout=FETCH_TIMEOUT_SECONDS) as http:
            response = await http.get(url, headers={"Accept": "application/json"})
            response.raise_for_status()
            data = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise KeysUnavailable(f"cannot fetch webhook keys from {url}: {exc}") from None
    keys = parse_jwks(data)
    if not keys:
        raise KeysUnavailable(f"no Ed25519 key in {url}")
    return keys


async def verify_with_jwks(
    headers: Mapping[str, str],
    body: bytes,
    urls: FalUrls,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    now: float | None = None,
) -> None:
    """verify_webhook with the backend's keys; refetches them once on a bad signature.

    Raises WebhookError (KeysUnavailable when the keys cannot be had).
    """
    url = jwks_url(urls)
    cached = await cache.aget(_cache_key(url))
    keys = cached or await fetch_jwks(urls, transport, force=True)
    try:
        verify_webhook(headers, body, keys=keys, now=now)
    except BadSignature as mismatch:
        if not cached or not await _may_force_refresh(url):
            raise
        try:
            keys = await fetch_jwks(urls, transport, force=True)
        except KeysUnavailable:
            raise mismatch from None  # keep the verdict we have: no known key signed it
        verify_webhook(headers, body, keys=keys, now=now)


async def _may_force_refresh(url: str) -> bool:
    # cache.add is atomic: one forced refresh per cooldown, however many forgeries arrive.
    return await cache.aadd(f"{_cache_key(url)}:forced", 1, FORCED_REFRESH_COOLDOWN_SECONDS)
