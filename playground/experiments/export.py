"""An experiment as one zip, streamed: its contact sheet, its metadata and every file.

The zip is written by the standard library into a small sink that is emptied after every
write, so memory holds one chunk of one file whatever the files weigh, and the first bytes
leave before the last file is read. Names inside the zip are checked before anything is
streamed: a bad name is a programming error raised to the caller, not a broken download.
"""

from __future__ import annotations

import json
import logging
import os
import re
import time
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import IO, BinaryIO

from playground.storage.files import Openable

log = logging.getLogger(__name__)

CHUNK_BYTES = 64 * 1024  # what is read from a file at once, and the largest chunk yielded
SHEET_NAME = "contact-sheet.png"
METADATA_NAME = "metadata.json"
# Already compressed: deflating them again costs CPU and saves nothing.
STORED_SUFFIXES = frozenset(
    {
        ".png", ".jpg", ".jpeg", ".webp", ".gif", ".avif", ".heic",
        ".mp4", ".webm", ".mov", ".mkv", ".m4v",
        ".mp3", ".m4a", ".aac", ".ogg", ".opus", ".flac",
        ".zip", ".gz", ".glb",
    }
)  # fmt: skip
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_DRIVE = re.compile(r"^[A-Za-z]:")


@dataclass(frozen=True)
class ExportFile:
    arcname: str  # path inside the zip, e.g. "files/x1_y2_guidance-3.5_steps-8.png"
    path: Openable  # the file to copy in (streamed in chunks, never read whole)


class UnsafeArcname(ValueError):
    """A name that could land outside the folder the zip is unpacked into."""


def stream_export_zip(
    *, sheet_png: bytes, files: Sequence[ExportFile], metadata: dict
) -> Iterator[bytes]:
    """The zip in chunks of at most CHUNK_BYTES: contact-sheet.png, metadata.json (pretty
    JSON; values JSON lacks, such as dates and decimals, as strings), then each file under
    its safe, unique name (`safe_arcname`, `unique_arcnames`).

    Raises UnsafeArcname at once (before any byte) for an absolute or `..` name. A file
    that cannot be opened when its turn comes is left out with a warning: by then the
    download has started and can no longer answer with an error. Reading files blocks;
    under ASGI wrap the iterator in `playground.lib.serving.in_thread`."""
    names = unique_arcnames([safe_arcname(file.arcname) for file in files])
    document = json.dumps(metadata, indent=2, ensure_ascii=False, default=str) + "\n"
    entries = [(name, file.path) for name, file in zip(names, files, strict=True)]
    return _zip_chunks(sheet_png, document.encode(), entries)


def safe_arcname(name: str) -> str:
    """The name with forward slashes and without empty or `.` parts ("files\\a.png",
    "./files//a.png" -> "files/a.png"); raises UnsafeArcname for an absolute path, a
    drive letter, a `..` part, a control character or nothing left."""
    if _CONTROL.search(name):
        raise UnsafeArcname(f"A name in the zip has a control character: {name!r}.")
    posix = name.replace("\\", "/")
    if posix.startswith("/") or _DRIVE.match(posix):
        raise UnsafeArcname(f"A name in the zip is an absolute path: {name!r}.")
    parts = [part for part in posix.split("/") if part not in ("", ".")]
    if ".." in parts:
        raise UnsafeArcname(f"A name in the zip climbs out of its folder: {name!r}.")
    if not parts:
        raise UnsafeArcname(f"A name in the zip is empty: {name!r}.")
    return "/".join(parts)


def unique_arcnames(names: Iterable[str]) -> list[str]:
    """The names in order, a repeated one suffixed `-2`, `-3`... before its extension
    ("a.png", "a.png" -> "a.png", "a-2.png"). Names differing only in case count as the
    same (they would overwrite each other on Windows and macOS), and so do the sheet's
    and the metadata's names, which come first."""
    taken = {SHEET_NAME, METADATA_NAME}
    unique = []
    for name in names:
        candidate, n = name, 1
        while candidate.lower() in taken:
            n += 1
            candidate = _numbered(name, n)
        taken.add(candidate.lower())
        unique.append(candidate)
    return unique


def _numbered(name: str, n: int) -> str:
    path = PurePosixPath(name)
    return str(path.with_name(f"{path.stem}-{n}{path.suffix}"))


def _zip_chunks(
    sheet_png: bytes, metadata_json: bytes, entries: list[tuple[str, Openable]]
) -> Iterator[bytes]:
    # zipfile writes to a stream it cannot seek by putting each file's sizes after its
    # data (a data descriptor), which every unzip tool reads.
    sink = _Sink()
    stamp = time.localtime()[:6]
    with zipfile.ZipFile(sink, "w") as archive:
        archive.writestr(_info(SHEET_NAME, stamp), sheet_png)
        yield from sink.drain()
        archive.writestr(_info(METADATA_NAME, stamp), metadata_json)
        yield from sink.drain()
        for name, path in entries:
            yield from _add_file(archive, sink, _info(name, stamp), path)
    yield from sink.drain(final=True)


def _add_file(
    archive: zipfile.ZipFile, sink: _Sink, info: zipfile.ZipInfo, path: Openable
) -> Iterator[bytes]:
    try:
        source = path.open("rb")
    except Exception:
        # Missing on disk (OSError) or in a bucket (also botocore's errors for an object
        # store that does not answer): the download has started, so it goes on without it.
        log.warning("%s left out of an experiment zip: cannot read %s", info.filename, path)
        return
    with source:
        # zipfile picks ZIP64 headers up front from the announced size (over ~2 GB).
        info.file_size = _size(source)
        with archive.open(info, "w") as out:
            yield from _copy(source, out, sink)
    yield from sink.drain()


def _size(source: IO[bytes]) -> int:
    """A stored file knows its size (an object store's from its HEAD); a local one asks
    the operating system."""
    size = getattr(source, "size", None)
    return size if isinstance(size, int) else os.fstat(source.fileno()).st_size


def _copy(source: BinaryIO, out: BinaryIO, sink: _Sink) -> Iterator[bytes]:
    while chunk := source.read(CHUNK_BYTES):
        out.write(chunk)
        yield from sink.drain()


def _info(name: str, stamp: tuple[int, ...]) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=stamp)
    stored = PurePosixPath(name).suffix.lower() in STORED_SUFFIXES
    info.compress_type = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16  # rw-r--r-- when unpacked, as a download would be
    return info


class _Sink:
    """A write-only stream the zip is written into and taken out of in chunks."""

    def __init__(self) -> None:
        self._buffer = bytearray()

    def write(self, data: bytes) -> int:
        self._buffer += data
        return len(data)

    def flush(self) -> None:
        pass

    def drain(self, *, final: bool = False) -> Iterator[bytes]:
        """The waiting bytes in chunks of CHUNK_BYTES; a smaller rest waits for more
        (headers are small: the response is not many tiny chunks) unless `final`."""
        while len(self._buffer) >= CHUNK_BYTES or (final and self._buffer):
            yield bytes(self._buffer[:CHUNK_BYTES])
            del self._buffer[:CHUNK_BYTES]
