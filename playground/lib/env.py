"""Strict readers for settings that come from the environment.

Junk values raise ImproperlyConfigured at start-up instead of silently turning into a
default: a typo in `DEBUG=ture` should stop the server, not run it in production mode.
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def envstr(name: str, default: str = "") -> str:
    """An empty value counts as unset, so a copied `.env.example` changes nothing."""
    return os.environ.get(name) or default


def envbool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), got {raw!r}")


def envint(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, got {raw!r}") from None


def envfloat(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return float(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a number, got {raw!r}") from None


def envlist(name: str, default: list[str] | None = None) -> list[str]:
    raw = os.environ.get(name)
    if not raw:
        return list(default or [])
    return [item.strip() for item in raw.split(",") if item.strip()]


def envendpoints(name: str) -> list[str]:
    """Comma-separated fal endpoint ids (`fal-ai/flux/schnell`), each checked as fal's
    clients would."""
    from playground.fal.endpoints import EndpointId, InvalidEndpointId

    ids = []
    for item in envlist(name):
        try:
            ids.append(EndpointId.parse(item).full)
        except InvalidEndpointId:
            raise ImproperlyConfigured(
                f"{name} must list endpoint ids such as fal-ai/flux/schnell, got {item!r}"
            ) from None
    return list(dict.fromkeys(ids))


def envorigins(name: str) -> list[str]:
    """Comma-separated origins, each `scheme://host[:port]` and nothing more."""
    origins = envlist(name)
    for origin in origins:
        if not _is_origin(origin):
            raise ImproperlyConfigured(
                f"{name} must list origins such as http://127.0.0.1:9000, got {origin!r}"
            )
    return origins


def _is_origin(text: str) -> bool:
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        return False
    extra = parts.path not in ("", "/") or parts.query or parts.fragment or parts.username
    return parts.scheme in ("http", "https") and bool(parts.hostname) and not extra


def envchoice(name: str, choices: tuple[str, ...], default: str) -> str:
    value = os.environ.get(name, default).strip().lower() or default
    if value not in choices:
        raise ImproperlyConfigured(f"{name} must be one of {', '.join(choices)}, got {value!r}")
    return value
