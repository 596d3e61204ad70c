"""Is the media store reachable and writable? Write, read back and delete a small object.

Used by `/healthz` and `manage.py check_storage`. A failure is one safe line (no
credentials, no traceback), as the other health checks report theirs.
"""

from __future__ import annotations

import logging
import secrets
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage, storages

from playground.core.health import describe_error

log = logging.getLogger(__name__)
PROBE_FOLDER = "healthz"


def backend_name() -> str:
    return type(storages["default"]).__name__


def probe() -> dict[str, Any]:
    """{"ok": True, "backend": ...} when a probe object could be written, read back
    whole and deleted; {"ok": False, "backend": ..., "error": "..."} otherwise.
    Blocking: call it in a thread from async code."""
    backend = "unknown"
    try:
        backend = backend_name()
        _round_trip()
    except Exception as exc:
        log.warning("storage probe failed", exc_info=True)
        return {"ok": False, "backend": backend, "error": describe_error(exc)}
    return {"ok": True, "backend": backend}


def _round_trip() -> None:
    nonce = secrets.token_hex(8)
    name = default_storage.save(f"{PROBE_FOLDER}/{nonce}.txt", ContentFile(nonce.encode()))
    try:
        with default_storage.open(name, "rb") as handle:
            if handle.read() != nonce.encode():
                raise RuntimeError("the probe object read back differs from what was written")
    finally:
        default_storage.delete(name)
    if default_storage.exists(name):
        raise RuntimeError("the probe object is still there after being deleted")
