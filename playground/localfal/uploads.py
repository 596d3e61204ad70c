"""Uploads in progress on the emulator's CDN: signed upload URLs and multipart parts.

Request bodies are copied to disk in chunks (never held whole in memory) under
`MEDIA_ROOT/localfal/incoming/`, with caps on a part, on the parts of one upload and on
their total (LOCALFAL_MAX_UPLOAD_BYTES); a finished multipart upload is assembled by
streaming its parts into storage. Upload URLs live an hour, and at most MAX_PENDING are
open at once; expired ones take their parts with them.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from django.conf import settings
from django.core.files.base import File

from playground.localfal import files

CHUNK_BYTES = 1024 * 1024
MAX_PART_BYTES = 64 * 1024 * 1024  # fal's clients send 10 MB parts
MAX_PARTS = 1000
MAX_PENDING = 1000


class UploadRefused(Exception):
    """An upload or part the emulator will not take; `status` is the HTTP answer."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


def incoming_dir() -> Path:
    return Path(settings.MEDIA_ROOT) / "localfal" / "incoming"


def max_upload_bytes() -> int:
    return settings.LOCALFAL_MAX_UPLOAD_BYTES


def too_large(limit: int, what: str = "File") -> UploadRefused:
    megabytes = f"{limit / (1024 * 1024):g} MB"
    return UploadRefused(f"{what} is larger than this emulator accepts ({megabytes}).", 413)


def storage_full() -> UploadRefused:
    days = f"{settings.LOCALFAL_FILE_TTL_DAYS:g}"
    return UploadRefused(
        "The emulator's storage is full (LOCALFAL_STORAGE_QUOTA_BYTES); stored files are "
        f"deleted {days} days after upload, which makes room again.",
        507,
    )


# -- bodies to disk -------------------------------------------------------------------------
@dataclass(frozen=True)
class Spooled:
    path: Path
    size: int

    def discard(self) -> None:
        self.path.unlink(missing_ok=True)


def spool(read: Callable[[int], bytes], limit: int, refusal: UploadRefused) -> Spooled:
    """Copy a body (`read(n)` until empty) into a file of its own; raises `refusal` (and
    keeps nothing) as soon as it passes `limit` bytes."""
    folder = incoming_dir()
    folder.mkdir(parents=True, exist_ok=True)
    descriptor, name = tempfile.mkstemp(dir=folder, suffix=".part")
    spooled, size = Spooled(Path(name), 0), 0
    try:
        with os.fdopen(descriptor, "wb") as out:
            while chunk := read(CHUNK_BYTES):
                size += len(chunk)
                if size > limit:
                    raise refusal
                out.write(chunk)
    except BaseException:
        spooled.discard()
        raise
    return Spooled(spooled.path, size)


def store_spooled(spooled: Spooled, name: str, key: str | None = None) -> tuple[str, str]:
    """Move a spooled body into storage; returns (key, name)."""
    try:
        with spooled.path.open("rb") as handle:
            return files.save_file(File(handle), name, key=key)
    finally:
        spooled.discard()


class _Joined:
    """The parts of an upload read one after another, as one file."""

    def __init__(self, paths: list[Path]) -> None:
        self._paths = iter(paths)
        self._current: IO[bytes] | None = None

    def read(self, size: int = -1) -> bytes:
        """Up to `size` bytes (CHUNK_BYTES when unsized), across parts: fewer only at the
        end, as readers that stop at a short read (boto3's uploads) expect."""
        wanted = size if size > 0 else CHUNK_BYTES
        pieces, got = [], 0
        while got < wanted and (chunk := self._read_some(wanted - got)):
            pieces.append(chunk)
            got += len(chunk)
        return b"".join(pieces)

    def _read_some(self, size: int) -> bytes:
        while True:
            if self._current is None:
                path = next(self._paths, None)
                if path is None:
                    return b""
                self._current = path.open("rb")
            chunk = self._current.read(size)
            if chunk:
                return chunk
            self._current.close()
            self._current = None

    @property
    def closed(self) -> bool:
        return False

    def seekable(self) -> bool:
        # Read once, front to back: an object store's upload must not rewind it.
        return False

    def close(self) -> None:
        if self._current is not None:
            self._current.close()


# -- uploads in progress ----------------------------------------------------------------------
@dataclass
class PendingUpload:
    key: str
    name: str
    content_type: str
    created: float = field(default_factory=time.monotonic)
    parts: dict[int, Spooled] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(part.size for part in self.parts.values())

    def discard(self) -> None:
        for part in self.parts.values():
            part.discard()
        self.parts.clear()

    def assemble(self, numbers: list[int]) -> tuple[str, str]:
        """Stream the parts `numbers`, in order, into storage; every part is removed after."""
        joined = _Joined([self.parts[n].path for n in sorted(numbers)])
        try:
            return files.save_file(File(joined), self.name, key=self.key)
        finally:
            joined.close()
            self.discard()


class UploadBook:
    """Upload tokens handed out by `initiate`, valid for an hour, thread-safe."""

    TTL = 3600

    def __init__(self) -> None:
        self._pending: dict[str, PendingUpload] = {}
        self._lock = threading.Lock()

    def start(self, name: str, content_type: str) -> tuple[str, PendingUpload]:
        """A new upload URL; raises UploadRefused (429) when MAX_PENDING are open."""
        token = secrets.token_urlsafe(24)
        upload = PendingUpload(
            key=files.new_key(), name=files.safe_name(name), content_type=content_type
        )
        self.expire()
        with self._lock:
            if len(self._pending) >= MAX_PENDING:
                raise UploadRefused(
                    "Too many uploads in progress on this emulator; finish them or wait "
                    "for their URLs to expire (an hour).",
                    429,
                )
            self._pending[token] = upload
        return token, upload

    def get(self, token: str) -> PendingUpload | None:
        with self._lock:
            return self._pending.get(token)

    def finish(self, token: str) -> PendingUpload | None:
        with self._lock:
            return self._pending.pop(token, None)

    def room_for_part(self, token: str, number: int) -> tuple[int, UploadRefused]:
        """Bytes the part `number` may have, and the answer when it has more; raises
        UploadRefused for a bad part number or an upload already at its total cap."""
        if not 1 <= number <= MAX_PARTS:
            raise UploadRefused(f"partNumber must be between 1 and {MAX_PARTS}.", 400)
        with self._lock:
            upload = self._pending.get(token)
            if upload is None:
                raise UploadRefused("Unknown or expired upload URL", 404)
            others = upload.total - (upload.parts[number].size if number in upload.parts else 0)
        room = max_upload_bytes() - others
        if room <= 0:
            raise too_large(max_upload_bytes(), "The upload")
        if room < MAX_PART_BYTES:
            return room, too_large(max_upload_bytes(), "The upload")
        return MAX_PART_BYTES, too_large(MAX_PART_BYTES, "A part")

    def add_part(self, token: str, number: int, part: Spooled) -> None:
        """Keep a spooled part (replacing an earlier try of the same number); raises
        UploadRefused when the upload is gone or the parts would pass the total cap
        (checked again here: parts arrive concurrently)."""
        replaced = None
        with self._lock:
            upload = self._pending.get(token)
            if upload is None:
                part.discard()
                raise UploadRefused("Unknown or expired upload URL", 404)
            replaced = upload.parts.get(number)
            total = upload.total - (replaced.size if replaced else 0) + part.size
            if total > max_upload_bytes():
                part.discard()
                raise too_large(max_upload_bytes(), "The upload")
            upload.parts[number] = part
        if replaced:
            replaced.discard()

    def expire(self) -> None:
        cutoff = time.monotonic() - self.TTL
        with self._lock:
            expired = [t for t, u in self._pending.items() if u.created < cutoff]
            gone = [self._pending.pop(token) for token in expired]
        for upload in gone:
            upload.discard()

    def clear(self) -> None:
        """Drop every pending upload and its parts (tests)."""
        with self._lock:
            gone, self._pending = list(self._pending.values()), {}
        for upload in gone:
            upload.discard()


def sweep_incoming() -> None:
    """Expire upload URLs, and remove spooled parts that no process finished within the
    hour (left by a process that stopped)."""
    uploads.expire()
    cutoff = time.time() - UploadBook.TTL
    with contextlib.suppress(FileNotFoundError):
        for path in incoming_dir().iterdir():
            with contextlib.suppress(FileNotFoundError):
                if path.stat().st_mtime < cutoff:
                    path.unlink()


uploads = UploadBook()
