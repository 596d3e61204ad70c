"""Who may use the emulator: only callers holding this install's key.

The emulator runs models for free and stores files on this server, so it is a private
backend of the app, not a public service: `Authorization: Key <LOCALFAL_KEY>` (fal's scheme)
or nothing. Each request remembers a fingerprint of the key that submitted it, so status,
result, cancel and stream answer only that key (a rotated key cannot read old requests).
"""

from __future__ import annotations

import hashlib
import hmac

from django.conf import settings


def credential(header: str) -> str:
    """The credential of an `Authorization: Key …` (or `Bearer …`) header, else ''."""
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() in ("key", "bearer") else ""


def accepts(value: str) -> bool:
    """Whether `value` is this install's emulator key (compared in constant time)."""
    expected = settings.LOCALFAL_KEY
    return bool(value and expected) and hmac.compare_digest(value.encode(), expected.encode())


def fingerprint(value: str) -> str:
    """What a request keeps of its key: enough to compare, useless to an onlooker."""
    return hashlib.sha256(b"localfal-owner:" + value.encode()).hexdigest()[:32]
