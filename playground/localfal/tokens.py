"""Short-lived JWTs the emulator mints at /rest/tokens/ (HS256, keyed by SECRET_KEY).

The realtime endpoint accepts only these; a small hand-written HS256 is enough because the
emulator both signs and verifies.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

from django.conf import settings


class TokenError(ValueError):
    pass


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _key() -> bytes:
    return hashlib.sha256(b"localfal-jwt:" + settings.SECRET_KEY.encode()).digest()


def mint(allowed_apps: list[str], expiration: int = 120) -> str:
    now = int(time.time())
    header = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    payload = _b64(
        json.dumps({"allowed_apps": allowed_apps, "iat": now, "exp": now + expiration}).encode()
    )
    signature = _b64(hmac.new(_key(), f"{header}.{payload}".encode(), hashlib.sha256).digest())
    return f"{header}.{payload}.{signature}"


def verify(token: str, app: str) -> dict[str, Any]:
    """Raises TokenError unless the token is ours, unexpired and allows `app` (an alias)."""
    try:
        header, payload, signature = token.split(".")
        expected = hmac.new(_key(), f"{header}.{payload}".encode(), hashlib.sha256).digest()
        if not hmac.compare_digest(_unb64(signature), expected):
            raise TokenError("bad signature")
        claims = json.loads(_unb64(payload))
    except (ValueError, TypeError) as exc:
        raise TokenError(f"malformed token: {exc}") from None
    if claims.get("exp", 0) < time.time():
        raise TokenError("token expired")
    if app not in claims.get("allowed_apps", []):
        raise TokenError(f"token does not allow {app!r}")
    return claims
