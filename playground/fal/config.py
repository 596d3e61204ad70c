"""Which fal to talk to, with which key: real fal.ai or the embedded emulator."""

from __future__ import annotations

from typing import Any

import httpx
from django.conf import settings

from playground.fal.client import FalClient
from playground.fal.retry import RetryPolicy
from playground.fal.types import FalUrls


def uses_emulator() -> bool:
    return settings.FAL_MODE == "local"


def fal_urls() -> FalUrls:
    if uses_emulator():
        from playground.localfal.address import emulator_url

        return FalUrls.local(emulator_url())
    return FalUrls.real()


def client_from_settings(
    *, key: str | None = None, transport: httpx.AsyncBaseTransport | None = None, **kwargs: Any
) -> FalClient:
    """A client for the configured backend. `key` overrides the server's FAL_KEY."""
    resolved = key or (settings.LOCALFAL_KEY if uses_emulator() else settings.FAL_KEY)
    kwargs.setdefault("retry", RetryPolicy(max_retries=settings.FAL_MAX_RETRIES))
    return FalClient(
        key=resolved,
        urls=fal_urls(),
        transport=transport,
        timeout=settings.FAL_TIMEOUT_SECONDS,
        **kwargs,
    )
