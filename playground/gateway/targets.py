"""Which fal URLs the gateway forwards to: parsed once, allowed by exact host and path shape.

Everything else is refused before a byte leaves this server. The rules follow fal's own
documented URLs (fal-protocol.md): a model path on `fal.run` / `queue.fal.run` /
`ws.fal.run`, a request's status, result or cancel on `queue.fal.run`, storage uploads and
realtime tokens on `rest.fal.ai`. No suffix matching, no userinfo, no port but 443, no
percent-escapes, backslashes or dot segments in the path (each a classic way to make two
parsers disagree about where a URL goes).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import urlsplit


class Host(StrEnum):
    RUN = "fal.run"
    QUEUE = "queue.fal.run"
    REST = "rest.fal.ai"
    WS = "ws.fal.run"


class Kind(StrEnum):
    """What a target does, which decides logging and who may see it."""

    RUN = "run"  # a sync (or streaming) call on fal.run
    SUBMIT = "submit"  # a queue submit
    REQUEST = "request"  # status, status stream, result or cancel of one request
    UPLOAD = "upload"  # storage initiate (single or multipart)
    TOKEN = "token"  # realtime token minting
    REALTIME = "realtime"  # a relayed realtime WebSocket session (one log row per session)


class TargetRefused(ValueError):
    """The target is malformed (status 400) or not a fal URL the gateway forwards (403)."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Target:
    host: Host
    path: str  # starts with "/", only safe characters
    query: str  # without "?"
    kind: Kind
    endpoint_id: str = ""  # owner/app[/sub path] for model calls, owner/app for requests
    request_id: str = ""
    action: str = ""  # for requests: "status", "stream", "result" or "cancel"

    @property
    def url(self) -> str:
        return f"https://{self.host}{self.path}" + (f"?{self.query}" if self.query else "")


MAX_TARGET_LENGTH = 2048
SEGMENT = r"[A-Za-z0-9_][A-Za-z0-9._~-]*"
MODEL_PATH = re.compile(rf"/({SEGMENT}/{SEGMENT}(?:/{SEGMENT})*)")
REQUEST_PATH = re.compile(
    rf"/({SEGMENT}/{SEGMENT})(?:/{SEGMENT})*/requests/([A-Za-z0-9_-]{{1,100}})"
    r"(/status/stream|/status|/cancel)?"
)
REST_PATHS = {
    "/storage/upload/initiate": Kind.UPLOAD,
    "/storage/upload/initiate-multipart": Kind.UPLOAD,
    "/tokens/": Kind.TOKEN,
}
ACTIONS = {"/status/stream": "stream", "/status": "status", "/cancel": "cancel", None: "result"}
QUERY = re.compile(r"[A-Za-z0-9._~%&=+:/,-]*")
# Anything a second parser could read differently: controls, spaces, backslashes, non-ASCII.
UNSAFE = re.compile(r"[\x00-\x20\x7f-\uffff\\]")


def parse(raw: str | None) -> Target:
    """The target of `raw` (an absolute fal URL), or TargetRefused saying why not."""
    if not raw:
        raise TargetRefused("Missing target: send the fal URL in x-fal-target-url.", 400)
    if len(raw) > MAX_TARGET_LENGTH or UNSAFE.search(raw):
        raise TargetRefused("Malformed target URL.", 400)
    try:
        parts = urlsplit(raw)
        port = parts.port
    except ValueError:
        raise TargetRefused("Malformed target URL.", 400) from None
    if parts.scheme.lower() != "https":
        raise TargetRefused("Only https fal URLs are forwarded.", 403)
    if "#" in raw:
        raise TargetRefused("Target URLs carry no fragment.", 400)
    host = _host(parts.netloc, port)
    if not QUERY.fullmatch(parts.query):
        raise TargetRefused("Malformed query string in the target URL.", 400)
    return _route(host, parts.path, parts.query)


def _host(netloc: str, port: int | None) -> Host:
    if "@" in netloc:
        raise TargetRefused("Target URLs carry no user name or password.", 403)
    name = netloc.lower()
    if port is not None:
        if port != 443:
            raise TargetRefused("fal is reached on port 443 only.", 403)
        name = name.rsplit(":", 1)[0]
    try:
        return Host(name)
    except ValueError:
        raise TargetRefused(f"Not a fal host: {name or 'none'}.", 403) from None


def _route(host: Host, path: str, query: str) -> Target:
    if "%" in path or "/./" in path + "/" or "/../" in path + "/" or "//" in path:
        raise TargetRefused("Target paths carry no escapes, dot segments or empty segments.", 403)
    if host is Host.REST:
        kind = REST_PATHS.get(path)
        if kind is None:
            raise TargetRefused("Not a fal API the gateway forwards.", 403)
        return Target(host, path, query, kind)
    if host is Host.QUEUE and (match := REQUEST_PATH.fullmatch(path)):
        app, request_id, suffix = match.groups()
        return Target(
            host, path, query, Kind.REQUEST, app, request_id=request_id, action=ACTIONS[suffix]
        )
    if "/requests/" in path + "/":
        raise TargetRefused("Requests are read on queue.fal.run, by their id.", 403)
    match = MODEL_PATH.fullmatch(path)
    if match is None:
        raise TargetRefused("Not a fal model path (owner/app[/path]).", 403)
    return Target(
        host, path, query, Kind.SUBMIT if host is Host.QUEUE else Kind.RUN, match.group(1)
    )
