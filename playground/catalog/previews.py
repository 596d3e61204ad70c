"""Which file URLs a model form may preview (an <img>, <audio> or <video> loads them).

A form can be filled by someone else: "Reuse" of a teammate's generation, a shared preset.
Their file URL may point anywhere (a tracking pixel, an address inside the network), and a
preview would fetch it from this person's browser without a click. So only files on our
own storage (this server's /media/, the emulator's CDN) or on fal's media CDN are
previewed; any other URL stays text in its field. The same prefixes reach modelform.js,
which applies the same rule while someone types, and they match the CSP's img-src.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from urllib.parse import SplitResult, urljoin, urlsplit

from django.conf import settings
from django.http import HttpRequest

from playground.lib.csp import FAL_MEDIA_SOURCES
from playground.lib.egress import DEFAULT_PORTS
from playground.localfal.address import emulator_url

EMULATOR_FILES = "/localfal/cdn/files/"
# "..", "." and their percent-encoded spellings: a prefix check must see the final path.
_DOT_SEGMENT = re.compile(r"(^|/)(\.|%2e){1,2}(/|$)", re.IGNORECASE)


def preview_prefixes(request: HttpRequest) -> list[str]:
    """URL prefixes whose files may be previewed; `https://*.host/` matches subdomains."""
    here = request.build_absolute_uri("/")
    prefixes = [urljoin(here, settings.MEDIA_URL)]
    if settings.LOCALFAL_ENABLED:
        prefixes.append(urljoin(here, EMULATOR_FILES))
    if settings.FAL_MODE == "local":
        prefixes.append(emulator_url().rstrip("/") + "/cdn/files/")
    else:
        prefixes.extend(s if s.endswith("/") else f"{s}/" for s in FAL_MEDIA_SOURCES)
    return list(dict.fromkeys(prefixes))


def can_preview(url: str, prefixes: Sequence[str], base: str) -> bool:
    """Whether `url` (relative ones resolved against `base`) is under one of `prefixes`.
    `data:` URLs fetch nothing and are always fine."""
    url = url.strip()
    if url[:5].lower() == "data:":
        return True
    # Browsers read "\" as "/" where Python does not: refuse rather than guess.
    if not url or "\\" in url or any(c.isspace() or ord(c) < 32 for c in url):
        return False
    parts = urlsplit(urljoin(base, url))
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname or "@" in parts.netloc:
        return False
    if _DOT_SEGMENT.search(parts.path):
        return False
    return any(_under(parts, urlsplit(prefix)) for prefix in prefixes)


def _under(parts: SplitResult, prefix: SplitResult) -> bool:
    if parts.scheme != prefix.scheme or _port(parts) != _port(prefix):
        return False
    host = prefix.hostname or ""
    if host.startswith("*."):
        if not (parts.hostname or "").endswith(host[1:]):
            return False
    elif parts.hostname != host:
        return False
    return parts.path.startswith(prefix.path or "/")


def _port(parts: SplitResult) -> int | None:
    try:
        return parts.port or DEFAULT_PORTS.get(parts.scheme)
    except ValueError:  # a port out of range
        return None
