"""The emulator's CDN: stored files, their expiry and quota, and fetching input files.

Files live in Django's default storage under `localfal/files/<key>/<name>` and are served
at `<base>/cdn/files/<key>/<name>`, like fal's v3.fal.media URLs. They expire after
LOCALFAL_FILE_TTL_DAYS, and uploads stop at LOCALFAL_STORAGE_QUOTA_BYTES: the emulator is
reachable from outside and must not become free file hosting. Uploads in progress are in
`uploads.py`.
"""

from __future__ import annotations

import base64
import re
import secrets
import threading
import time
from urllib.parse import unquote, urlsplit

import httpx
from django.conf import settings
from django.core.files.base import ContentFile, File
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
    return save_file(ContentFile(data), name, key=key)


def save_file(content: File, name: str, *, key: str | None = None) -> tuple[str, str]:
    """Store a file-like `content` chunk by chunk; returns (key, name)."""
    key = key or new_key()
    name = safe_name(name)
    path = default_storage.save(storage_path(key, name), content)
    store.add(default_storage.size(path))
    return key, name


def public_url(base_url: str, key: str, name: str) -> str:
    return f"{base_url}/cdn/files/{key}/{name}"


def exists(key: str, name: str) -> bool:
    return bool(re.fullmatch(r"[0-9a-f]{32}", key)) and default_storage.exists(
        storage_path(key, name)
    )


def open_stored(key: str, name: str) -> File | None:
    """The stored file, open for reading; None when missing or expired."""
    if not exists(key, name):
        return None
    path = storage_path(key, name)
    if _expired(path, time.time() - ttl_seconds()):
        return None  # the sweep deletes it; until then it is gone all the same
    return default_storage.open(path, "rb")


# -- expiry and quota -----------------------------------------------------------------------
def ttl_seconds() -> float:
    return settings.LOCALFAL_FILE_TTL_DAYS * 86400


def _expired(path: str, cutoff: float) -> bool:
    try:
        return default_storage.get_modified_time(path).timestamp() < cutoff
    except FileNotFoundError:
        return True


class Store:
    """Bytes held under PREFIX: recounted by a sweep that also deletes expired files (at
    most once a minute per process, on uploads), and added to by every save in between."""

    SWEEP_SECONDS = 60.0

    def __init__(self) -> None:
        self.used = 0
        self._swept_at = float("-inf")
        self._lock = threading.Lock()

    def add(self, size: int) -> None:
        with self._lock:
            self.used += size

    def room(self) -> int:
        """Bytes that may still be stored; sweeps first when a minute has passed."""
        self.maybe_sweep()
        return settings.LOCALFAL_STORAGE_QUOTA_BYTES - self.used

    def maybe_sweep(self) -> None:
        now = time.monotonic()
        with self._lock:
            if now - self._swept_at < self.SWEEP_SECONDS:
                return
            self._swept_at = now
        used = sweep()
        with self._lock:
            self.used = used

    def reset(self) -> None:
        """Forget the count (tests): the next upload sweeps and recounts."""
        with self._lock:
            self.used, self._swept_at = 0, float("-inf")


def sweep() -> int:
    """Delete stored files older than LOCALFAL_FILE_TTL_DAYS; the bytes of those kept."""
    from playground.localfal.uploads import sweep_incoming

    sweep_incoming()
    cutoff, used = time.time() - ttl_seconds(), 0
    try:
        keys, _ = default_storage.listdir(PREFIX)
    except FileNotFoundError:
        return 0
    for key in keys:
        folder = f"{PREFIX}/{key}"
        _, names = default_storage.listdir(folder)
        kept = 0
        for name in names:
            path = f"{folder}/{name}"
            if _expired(path, cutoff):
                default_storage.delete(path)
            else:
                used += default_storage.size(path)
                kept += 1
        if not kept:
            default_storage.delete(folder)  # FileSystemStorage removes an empty folder
    return used


store = Store()


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
    handle = open_stored(key, name)
    if handle is None:
        raise InputFileError(f"file not found: {name}")
    with handle:
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
