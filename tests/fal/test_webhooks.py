"""Verifying fal's webhook signatures and caching its keys (fal-protocol.md §9.2)."""

from __future__ import annotations

import base64
import hashlib
import time

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.core.cache import cache

from playground.fal.types import FalUrls
from playground.fal.webhooks import (
    FAL_JWKS_URL,
    BadSignature,
    KeysUnavailable,
    WebhookError,
    decode_x,
    fetch_jwks,
    jwks_url,
    parse_jwks,
    verify_webhook,
    verify_with_jwks,
)

BODY = b'{"request_id": "req-1", "status": "OK", "payload": {"images": []}}'
LOCAL = FalUrls.local("http://emulator.test/localfal")


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


def raw_public(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def signed(key: Ed25519PrivateKey, body: bytes = BODY, timestamp: int | None = None) -> dict:
    timestamp = int(time.time()) if timestamp is None else timestamp
    message = f"req-1\nuser-1\n{timestamp}\n{hashlib.sha256(body).hexdigest()}".encode()
    return {
        "X-Fal-Webhook-Request-Id": "req-1",
        "X-Fal-Webhook-User-Id": "user-1",
        "X-Fal-Webhook-Timestamp": str(timestamp),
        "X-Fal-Webhook-Signature": key.sign(message).hex(),
    }


def jwk(key: Ed25519PrivateKey, *, padded: bool = False) -> dict:
    x = base64.urlsafe_b64encode(raw_public(key)).decode()
    return {"kty": "OKP", "crv": "Ed25519", "x": x if padded else x.rstrip("=")}


class JwksServer:
    """An httpx transport serving a JWKS that a test can rotate, counting fetches."""

    def __init__(self, *keys: Ed25519PrivateKey, status: int = 200) -> None:
        self.keys = list(keys)
        self.status = status
        self.fetches: list[str] = []
        self.transport = httpx.MockTransport(self.handle)

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.fetches.append(str(request.url))
        assert "authorization" not in request.headers  # the fal key never goes there
        return httpx.Response(self.status, json={"keys": [jwk(k) for k in self.keys]})


def test_a_correctly_signed_delivery_passes():
    key = Ed25519PrivateKey.generate()
    verify_webhook(signed(key), BODY, keys=[raw_public(key)])


def test_header_names_are_case_insensitive():
    key = Ed25519PrivateKey.generate()
    headers = {name.lower(): value for name, value in signed(key).items()}
    verify_webhook(headers, BODY, keys=[raw_public(key)])


def test_any_of_several_keys_may_have_signed_it():
    key, other = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    verify_webhook(signed(key), BODY, keys=[raw_public(other), raw_public(key)])


def test_a_tampered_body_fails():
    key = Ed25519PrivateKey.generate()
    with pytest.raises(BadSignature):
        verify_webhook(signed(key), BODY.replace(b"OK", b"KO"), keys=[raw_public(key)])


def test_a_signature_by_another_key_fails():
    key, other = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    with pytest.raises(BadSignature):
        verify_webhook(signed(other), BODY, keys=[raw_public(key)])


@pytest.mark.parametrize(("offset", "reason"), [(-301, "too old"), (301, "in the future")])
def test_a_timestamp_outside_five_minutes_fails(offset, reason):
    key = Ed25519PrivateKey.generate()
    now = time.time()
    headers = signed(key, timestamp=int(now) + offset)
    with pytest.raises(WebhookError, match=reason):
        verify_webhook(headers, BODY, keys=[raw_public(key)], now=now)


def test_a_timestamp_inside_the_window_passes():
    key = Ed25519PrivateKey.generate()
    headers = signed(key, timestamp=1_000_000)
    verify_webhook(headers, BODY, keys=[raw_public(key)], now=1_000_000 + 299)


@pytest.mark.parametrize(
    "missing",
    [
        "X-Fal-Webhook-Request-Id",
        "X-Fal-Webhook-User-Id",
        "X-Fal-Webhook-Timestamp",
        "X-Fal-Webhook-Signature",
    ],
)
def test_a_missing_header_fails(missing):
    key = Ed25519PrivateKey.generate()
    headers = signed(key)
    del headers[missing]
    with pytest.raises(WebhookError, match=f"missing header {missing.lower()}"):
        verify_webhook(headers, BODY, keys=[raw_public(key)])


@pytest.mark.parametrize("signature", ["zz" * 64, "ab" * 10])
def test_a_malformed_signature_fails_without_counting_as_a_mismatch(signature):
    key = Ed25519PrivateKey.generate()
    headers = {**signed(key), "X-Fal-Webhook-Signature": signature}
    with pytest.raises(WebhookError) as caught:
        verify_webhook(headers, BODY, keys=[raw_public(key)])
    assert not isinstance(caught.value, BadSignature)


def test_a_non_numeric_timestamp_fails():
    key = Ed25519PrivateKey.generate()
    headers = {**signed(key), "X-Fal-Webhook-Timestamp": "yesterday"}
    with pytest.raises(WebhookError, match="timestamp"):
        verify_webhook(headers, BODY, keys=[raw_public(key)])


@pytest.mark.parametrize("padded", [True, False])
def test_x_parses_with_or_without_padding(padded):
    key = Ed25519PrivateKey.generate()
    entry = jwk(key, padded=padded)
    assert entry["x"].endswith("=") is padded
    assert decode_x(entry["x"]) == raw_public(key)
    assert parse_jwks({"keys": [entry]}) == [raw_public(key)]


def test_parse_jwks_skips_keys_that_are_not_ed25519():
    key = Ed25519PrivateKey.generate()
    document = {
        "keys": [
            {"kty": "RSA", "n": "abc", "e": "AQAB"},
            {"kty": "OKP", "crv": "X25519", "x": jwk(key)["x"]},
            {"kty": "OKP", "crv": "Ed25519", "x": "c2hvcnQ"},
            {"kty": "OKP", "crv": "Ed25519", "x": "not base64 !"},
            jwk(key),
        ]
    }
    assert parse_jwks(document) == [raw_public(key)]
    assert parse_jwks({"keys": "nope"}) == [] and parse_jwks(None) == []


def test_real_fal_keys_come_from_the_documented_alpha_host():
    assert jwks_url(FalUrls.real()) == FAL_JWKS_URL
    assert jwks_url(LOCAL) == "http://emulator.test/localfal/rest/.well-known/jwks.json"


async def test_keys_are_fetched_once_then_served_from_the_cache():
    key = Ed25519PrivateKey.generate()
    server = JwksServer(key)
    assert await fetch_jwks(LOCAL, server.transport) == [raw_public(key)]
    assert await fetch_jwks(LOCAL, server.transport) == [raw_public(key)]
    assert server.fetches == ["http://emulator.test/localfal/rest/.well-known/jwks.json"]


@pytest.mark.parametrize("status", [500, 404])
async def test_an_unreachable_key_set_is_keys_unavailable(status):
    server = JwksServer(Ed25519PrivateKey.generate(), status=status)
    with pytest.raises(KeysUnavailable):
        await fetch_jwks(LOCAL, server.transport)


async def test_a_key_set_without_ed25519_keys_is_keys_unavailable():
    server = JwksServer()
    with pytest.raises(KeysUnavailable, match="no Ed25519 key"):
        await fetch_jwks(LOCAL, server.transport)


async def test_a_rotated_key_is_picked_up_by_one_forced_refresh():
    old, new = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    server = JwksServer(old)
    await fetch_jwks(LOCAL, server.transport)
    server.keys = [new]
    await verify_with_jwks(signed(new), BODY, LOCAL, transport=server.transport)
    assert len(server.fetches) == 2
    await verify_with_jwks(signed(new), BODY, LOCAL, transport=server.transport)
    assert len(server.fetches) == 2  # the fresh keys were cached


async def test_forgeries_force_at_most_one_refresh_per_cooldown():
    key, forger = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    server = JwksServer(key)
    await fetch_jwks(LOCAL, server.transport)
    for _ in range(3):
        with pytest.raises(BadSignature):
            await verify_with_jwks(signed(forger), BODY, LOCAL, transport=server.transport)
    assert len(server.fetches) == 2


async def test_a_failed_refresh_keeps_the_bad_signature_verdict():
    key, forger = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    server = JwksServer(key)
    await fetch_jwks(LOCAL, server.transport)
    server.status = 503
    with pytest.raises(BadSignature):
        await verify_with_jwks(signed(forger), BODY, LOCAL, transport=server.transport)


async def test_stale_deliveries_are_refused_before_any_key_refresh():
    key = Ed25519PrivateKey.generate()
    server = JwksServer(key)
    await fetch_jwks(LOCAL, server.transport)
    headers = signed(key, timestamp=int(time.time()) - 3600)
    with pytest.raises(WebhookError, match="too old"):
        await verify_with_jwks(headers, BODY, LOCAL, transport=server.transport)
    assert len(server.fetches) == 1
