"""Secrets at rest: Fernet (AES + HMAC) keyed by FIELD_ENCRYPTION_KEY.

FIELD_ENCRYPTION_KEY holds one or more Fernet keys, comma-separated: the first encrypts,
all of them decrypt (MultiFernet), so a key can be replaced without losing what was
stored: put the new key first, run `manage.py rotate_keys`, then drop the old one.
A key derived from SECRET_KEY always comes last: it is the only key of an install that
set none, and stays readable (for rotate_keys) after one is set.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


class UnreadableSecret(Exception):
    """The stored value was encrypted with a key that is no longer configured (SECRET_KEY
    or FIELD_ENCRYPTION_KEY changed): the person has to enter it again."""


def configured_keys(raw: str) -> list[str]:
    """The keys of a FIELD_ENCRYPTION_KEY value, in order. Raises ImproperlyConfigured
    for one that is not a Fernet key (32 url-safe base64-encoded bytes)."""
    keys = [part.strip() for part in raw.split(",") if part.strip()]
    for position, key in enumerate(keys, start=1):
        try:
            Fernet(key.encode())
        except (ValueError, binascii.Error):
            raise ImproperlyConfigured(
                f"FIELD_ENCRYPTION_KEY: key {position} is not a Fernet key. Make one with: "
                'python -c "from cryptography.fernet import Fernet; '
                'print(Fernet.generate_key().decode())"'
            ) from None
    return keys


def _derived_key(secret_key: str) -> bytes:
    digest = hashlib.sha256(b"playground.field-encryption:" + secret_key.encode()).digest()
    return base64.urlsafe_b64encode(digest)


@cache
def _keys(configured: str, secret_key: str) -> tuple[Fernet, ...]:
    fernets = [Fernet(key.encode()) for key in configured_keys(configured)]
    fernets.append(Fernet(_derived_key(secret_key)))
    return tuple(fernets)


def keys() -> tuple[Fernet, ...]:
    """Every key that decrypts, the one that encrypts first."""
    return _keys(settings.FIELD_ENCRYPTION_KEY, settings.SECRET_KEY)


def fernet() -> MultiFernet:
    return MultiFernet(keys())


def encrypt(plain: str) -> str:
    return fernet().encrypt(plain.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        raise UnreadableSecret("stored secret cannot be decrypted with the current keys") from None


def is_current(token: str) -> bool:
    """Whether `token` is already encrypted with the first key (rotating it changes nothing)."""
    try:
        keys()[0].decrypt(token.encode())
    except InvalidToken:
        return False
    return True


def rotate(token: str) -> str:
    """`token` encrypted again with the first key (its timestamp kept). Raises
    UnreadableSecret when no configured key reads it."""
    try:
        return fernet().rotate(token.encode()).decode()
    except InvalidToken:
        raise UnreadableSecret("stored secret cannot be decrypted with the current keys") from None
