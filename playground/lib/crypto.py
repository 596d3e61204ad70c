"""Secrets at rest: Fernet (AES + HMAC) with FIELD_ENCRYPTION_KEY, or a key derived from
SECRET_KEY when none is configured."""

from __future__ import annotations

import base64
import hashlib
from functools import cache

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings


class UnreadableSecret(Exception):
    """The stored value was encrypted with another key (SECRET_KEY or
    FIELD_ENCRYPTION_KEY changed): the person has to enter it again."""


@cache
def _fernet(configured: str, secret_key: str) -> Fernet:
    if configured:
        return Fernet(configured.encode())
    digest = hashlib.sha256(b"playground.field-encryption:" + secret_key.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def fernet() -> Fernet:
    return _fernet(settings.FIELD_ENCRYPTION_KEY, settings.SECRET_KEY)


def encrypt(plain: str) -> str:
    return fernet().encrypt(plain.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        raise UnreadableSecret("stored secret cannot be decrypted with the current key") from None
