"""Readiness checks behind /healthz: can this process reach its database, its channel layer
and its media store?

Failures are reported as one short line (exception class and first message line, with any
credentials in URLs masked); the full traceback goes to the server log only.
"""

from __future__ import annotations

import asyncio
import logging
import re
import secrets
from typing import Any

from asgiref.sync import sync_to_async
from channels.layers import DEFAULT_CHANNEL_LAYER, channel_layers
from django.conf import settings
from django.db import connections

logger = logging.getLogger(__name__)

CHANNEL_LAYER_TIMEOUT = 2.0
STORAGE_TIMEOUT = 5.0
_URL_CREDENTIALS = re.compile(r"(?P<scheme>\b[a-z][a-z0-9+.-]*://)[^@/\s]*@", re.IGNORECASE)
_PASSWORD_SETTING = re.compile(r"(?P<key>password\s*[=:]\s*)\S+", re.IGNORECASE)


def describe_error(exc: BaseException) -> str:
    """One safe line about `exc`: never a traceback, never a password."""
    lines = str(exc).strip().splitlines()
    message = lines[0] if lines else ""
    message = _URL_CREDENTIALS.sub(r"\g<scheme>***@", message)
    message = _PASSWORD_SETTING.sub(r"\g<key>***", message)
    text = f"{type(exc).__name__}: {message}" if message else type(exc).__name__
    return text[:200]


def _select_one() -> None:
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


async def check_database() -> dict[str, Any]:
    try:
        await sync_to_async(_select_one)()
    except Exception as exc:
        logger.warning("healthz: database check failed", exc_info=True)
        return {"ok": False, "error": describe_error(exc)}
    return {"ok": True}


def _configured_backend_name() -> str:
    path = settings.CHANNEL_LAYERS.get("default", {}).get("BACKEND", "")
    return path.rsplit(".", 1)[-1] or "none"


def get_channel_layer() -> Any:
    """A layer instance of the probe's own. In the process's shared instance a receive can
    wait seconds behind another one's long poll (the runner's wake-up listener)."""
    if DEFAULT_CHANNEL_LAYER not in settings.CHANNEL_LAYERS:
        return None
    return channel_layers.make_backend(DEFAULT_CHANNEL_LAYER)


async def _round_trip(layer: Any) -> None:
    channel = await layer.new_channel("healthz")
    nonce = secrets.token_hex(8)
    await layer.send(channel, {"type": "healthz.ping", "nonce": nonce})
    message = await layer.receive(channel)
    if message.get("nonce") != nonce:
        raise RuntimeError("channel layer returned a different message")


async def check_channel_layer() -> dict[str, Any]:
    backend = _configured_backend_name()
    try:
        layer = get_channel_layer()
        if layer is None:
            return {"ok": False, "backend": backend, "error": "no channel layer configured"}
        backend = type(layer).__name__
        try:
            async with asyncio.timeout(CHANNEL_LAYER_TIMEOUT):
                await _round_trip(layer)
        finally:
            close = getattr(layer, "close_pools", None)  # Redis: this probe's connections
            if close is not None:
                await close()
    except TimeoutError:
        logger.warning("healthz: channel layer did not answer in %ss", CHANNEL_LAYER_TIMEOUT)
        error = f"no reply within {CHANNEL_LAYER_TIMEOUT:g} s"
        return {"ok": False, "backend": backend, "error": error}
    except Exception as exc:
        logger.warning("healthz: channel layer check failed", exc_info=True)
        return {"ok": False, "backend": backend, "error": describe_error(exc)}
    return {"ok": True, "backend": backend}


async def check_storage() -> dict[str, Any]:
    """The media store's probe (playground/storage/probe.py), in a thread of its own, given
    STORAGE_TIMEOUT: an object store that hangs makes the check fail, not the answer wait."""
    from playground.storage.probe import backend_name, probe

    try:
        async with asyncio.timeout(STORAGE_TIMEOUT):
            return await asyncio.to_thread(probe)
    except TimeoutError:
        logger.warning("healthz: media store did not answer in %ss", STORAGE_TIMEOUT)
        error = f"no reply within {STORAGE_TIMEOUT:g} s"
        return {"ok": False, "backend": backend_name(), "error": error}
