"""A stored file named for later: opened, and streamed, only when its turn comes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import IO, Protocol

from django.core.files.storage import default_storage


class Openable(Protocol):
    """What zips and contact sheets read: a local `pathlib.Path` or a `StoredFile`."""

    def open(self, mode: str = ...) -> IO[bytes]: ...


@dataclass(frozen=True)
class StoredFile:
    """A file of Django's default storage, opened like a `pathlib.Path` (`open("rb")`),
    so code that copies files (zips, contact sheets) reads local paths and stored files
    alike. Opening a missing one raises FileNotFoundError."""

    name: str

    def open(self, mode: str = "rb") -> IO[bytes]:
        return default_storage.open(self.name, mode)

    def __str__(self) -> str:
        return self.name
