"""The emulator's CDN: stored files, pending uploads, and fetching input files.

Files live in Django's default storage under `localfal/files/<key>/<name>` and are served
at `<base>/cdn/files/<key>/<name>`, like fal's v3.fal.media URLs.
"""

from __future__ import annotations

import base64
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

import httpx
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from playground.lib import egress

PREFIX = "localfal/files"
MAX_INPUT_BYTES = 100 * 1024 * 1024
INPUT_TIMEOUT = 10.0
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")
_LOCAL_FILE = re.compile(r"/localfal/cdn/files/([0-9a-f]{32})/([^/?#]+)")


class InputFileError(Exception):
    """An input URL could not be fetched (unreachable, private address, too large...)."""


def safe_name(name: str, default: str = "file.bin") -> str:
    cleaned = _SAFE_NAME.sub("_", (name or "").rsplit("/", 1)[-1]).strip("._")
    return cleaned[:120] or default


def new_key() -> str:
    return secrets.token_hex(16)


def storage_path(key: str, name: str) -> str:
    return f"{PREFIX}/{key}/{safe_name(name)}"


def save(data: bytes, name: str, *, key: str | None = None) -> tuple[str, str]:
    """Store bytes; returns (key, name) for the public URL."""
    key = key or new_key()
    name = safe_name(name)
    default_storage.save(storage_path(key, name), ContentFile(data))
    return key, name


def public_url(base_url: str, key: str, name: str) -> str:
    return f"{base_url}/cdn/files/{key}/{name}"


def exists(key: str, name: str) -> bool:
    return bool(re.fullmatch(r"[0-9a-f]{32}", key)) and default_storage.exists(
        storage_path(key, name)
    )


# -- uploads in progress ------------------------------------------------------------------
@dataclass
class PendingUpload:
    key: str
    name: str
    content_type: str
    created: float = field(default_factory=time.monotonic)
    parts: dict[int, bytes] = field(default_factory=dict)


class UploadBook:
    """Upload tokens handed out by `initiate`, valid for an hour, thread-safe."""

    TTL = 3600

    def __init__(self) -> None:
        self._pending: dict[str, PendingUpload] = {}
        self._lock = threading.Lock()

    def start(self, name: str, content_type: str) -> tuple[str, PendingUpload]:
        token = secrets.token_urlsafe(24)
        upload = PendingUpload(key=new_key(), name=safe_name(name), content_type=content_type)
        with self._lock:
            self._expire()
            self._pending[token] = upload
        return token, upload

    def get(self, token: str) -> PendingUpload | None:
        with self._lock:
            return self._pending.get(token)

    def finish(self, token: str) -> PendingUpload | None:
        with self._lock:
            return self._pending.pop(token, None)

    def _expire(self) -> None:
        cutoff = time.monotonic() - self.TTL
        for token in [t for t, u in self._pending.items() if u.created < cutoff]:
            del self._pending[token]


uploads = UploadBook()


# -- fetching input files -----------------------------------------------------------------
def fetch_input(url: str) -> bytes:
    """Bytes behind an input URL: our own CDN (read directly), a data URI, or public http(s).

    Private, loopback and link-local addresses are refused: the emulator is reachable by
    anyone who can reach the server, and must not become a way into the local network.
    """
    local = _LOCAL_FILE.search(urlsplit(url).path) if url.startswith("http") else None
    if local:
        return _read_local(local.group(1), unquote(local.group(2)))
    if url.startswith("data:"):
        return _decode_data_uri(url)
    return _fetch_public(url)


def _read_local(key: str, name: str) -> bytes:
    path = storage_path(key, name)
    if not default_storage.exists(path):
        raise InputFileError(f"file not found: {name}")
    with default_storage.open(path, "rb") as handle:
        return handle.read()


def _decode_data_uri(url: str) -> bytes:
    header, _, payload = url.partition(",")
    try:
        if header.endswith(";base64"):
            return base64.b64decode(payload, validate=False)
        return unquote(payload).encode()
    except ValueError as exc:
        raise InputFileError(f"bad data URI: {exc}") from None


def _fetch_public(url: str) -> bytes:
    """Only from public addresses, connected to as checked, redirects checked alike."""
    try:
        with egress.stream_sync("GET", url, timeout=INPUT_TIMEOUT) as response:
            if not response.is_success:
                raise InputFileError(f"could not download {url[:100]}: HTTP {response.status_code}")
            chunks, size = [], 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > MAX_INPUT_BYTES:
                    raise InputFileError("input file is larger than 100 MB")
                chunks.append(chunk)
            return b"".join(chunks)
    except egress.EgressRefused as exc:
        raise InputFileError(f"refusing to fetch the input: {exc}") from None
    except httpx.HTTPError as exc:
        raise InputFileError(f"could not download {url[:100]}: {exc}") from None
