"""Input files the backend can fetch: URLs of our own storage, rewritten as a run is sent.

A run's input may name files that only this server can read: a saved realtime frame's
picture and an earlier output (`/media/generations/<code>/<name>`, behind the access
check), or an emulator upload by its relative path. fal (or the emulator) fetches inputs
over the network, so before a run is sent each such URL is replaced by one it can fetch:
the file is uploaded to the backend's storage (fal's CDN, or the emulator's), or, for the
emulator's own files in emulator mode, made absolute. The stored input keeps the URL the
person gave: it still shows in the gallery and "Reuse" after fal's copy expires.
"""

from __future__ import annotations

import mimetypes
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.http import Http404
from django.http.request import split_domain_port, validate_host

from playground.fal.config import uses_emulator

ASSET_PATH = re.compile(r"^/media/generations/([0-9a-f-]{36})/([^/?#]+)$")
_EMULATOR_FILE = re.compile(r"^/localfal/cdn/files/([0-9a-f]{32})/([^/?#]+)$")


class InputUnavailable(Exception):
    """An input names a file of ours that is gone, or that the run's owner may not see."""


@dataclass(frozen=True)
class OwnFile:
    url: str  # as written in the input
    path: str  # its path on this server
    absolute: bool


def own_file(value: str) -> OwnFile | None:
    """`value` as a file of our own storage (relative, or on one of our hosts), or None."""
    if not value.startswith(("/", "http://", "https://")) or value.startswith("//"):
        return None
    parts = urlsplit(value)
    if parts.scheme and not _is_own_host(parts.netloc):
        return None
    if ASSET_PATH.match(parts.path) or _EMULATOR_FILE.match(parts.path):
        return OwnFile(value, parts.path, absolute=bool(parts.scheme))
    return None


def _is_own_host(netloc: str) -> bool:
    # ALLOWED_HOSTS "*" would make every URL ours: then only relative URLs are.
    domain, _ = split_domain_port(netloc.lower())
    hosts = [host for host in settings.ALLOWED_HOSTS if host != "*"]
    if settings.PUBLIC_BASE_URL:
        hosts.append(urlsplit(settings.PUBLIC_BASE_URL).hostname or "")
    return bool(domain) and validate_host(domain, [host for host in hosts if host])


def own_files(value: Any) -> list[OwnFile]:
    """Every own-storage URL in an input, at any depth, once each."""
    found: dict[str, OwnFile] = {}
    for text in _strings(value):
        item = own_file(text)
        if item is not None:
            found.setdefault(text, item)
    return list(found.values())


def _strings(value: Any):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def replaced(value: Any, mapping: dict[str, str]) -> Any:
    if isinstance(value, str):
        return mapping.get(value, value)
    if isinstance(value, dict):
        return {key: replaced(item, mapping) for key, item in value.items()}
    if isinstance(value, list):
        return [replaced(item, mapping) for item in value]
    return value


def read_own(item: OwnFile, owner_id: int) -> tuple[bytes, str, str]:
    """(bytes, content type, name) of an own file the owner may see; raises
    InputUnavailable otherwise. Synchronous: it reads the database and storage."""
    asset = ASSET_PATH.match(item.path)
    if asset:
        return _read_asset(asset.group(1), unquote(asset.group(2)), owner_id)
    emulated = _EMULATOR_FILE.match(item.path)
    assert emulated is not None
    return _read_emulator_file(emulated.group(1), unquote(emulated.group(2)))


def _read_asset(code: str, name: str, owner_id: int) -> tuple[bytes, str, str]:
    from playground.jobs.access import generation_for

    owner = get_user_model().objects.get(pk=owner_id)
    try:
        generation, _ = generation_for(owner, code)
    except Http404:
        raise InputUnavailable(f"The input file {name} is not available to you.") from None
    # A thumbnail (a gallery card dragged onto a field) stands for its full file.
    path = f"generations/{generation.code}/{name}"
    asset = generation.assets.filter(Q(file=path) | Q(thumbnail=path)).first()
    if asset is None:
        raise InputUnavailable(f"The input file {name} is no longer stored here.")
    with asset.file.open("rb") as handle:
        return handle.read(), asset.content_type, asset.file.name.rsplit("/", 1)[-1]


def _read_emulator_file(key: str, name: str) -> tuple[bytes, str, str]:
    from playground.localfal import files

    handle = files.open_stored(key, name)
    if handle is None:
        raise InputUnavailable(f"The input file {name} has expired from the emulator's storage.")
    with handle:
        data = handle.read()
    return data, mimetypes.guess_type(name)[0] or "application/octet-stream", name


Upload = Callable[[bytes, str, str], Awaitable[str]]
InThread = Callable[..., Awaitable[Any]]


async def fetchable_input(
    value: dict[str, Any], *, owner_id: int, upload: Upload, in_thread: InThread
) -> dict[str, Any]:
    """`value` with every own-storage URL replaced by one the backend can fetch.
    `upload(data, content_type, name)` stores a file with the backend (the run's own fal
    client); `in_thread(fn, *args)` runs database and storage reads off the event loop.
    Raises InputUnavailable for a file that is gone or not the owner's to use."""
    mapping: dict[str, str] = {}
    for item in own_files(value):
        if uses_emulator() and _EMULATOR_FILE.match(item.path):
            if not item.absolute:  # the emulator reads its own files by path, any host
                mapping[item.url] = _emulator_base() + item.path.removeprefix("/localfal")
            continue
        data, content_type, name = await in_thread(read_own, item, owner_id)
        mapping[item.url] = await upload(data, content_type, name)
    return replaced(value, mapping) if mapping else value


def _emulator_base() -> str:
    from playground.localfal.address import emulator_url

    return emulator_url().rstrip("/")
