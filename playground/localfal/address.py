"""Where this process reaches the embedded emulator, whatever port the server listens on.

The emulator is mounted in the web server itself, so the runner, uploads and the realtime
relay talk to it over this server's own socket. Which port that is only the server knows:
`make run` uses 8000, the Procfile `$PORT`, someone else `daphne -p 5000`. So the address is
learned from the first ASGI call (its `server` is the local address the connection came in
on) instead of being configured. `LOCALFAL_URL` is only for an emulator elsewhere.
"""

from __future__ import annotations

import ipaddress
import os
from typing import Any

from django.conf import settings

_learned: str | None = None


def learn(scope: dict[str, Any]) -> None:
    """Remember the local address of this server from an ASGI scope (first call wins)."""
    global _learned
    if _learned is not None:
        return
    server = scope.get("server")
    if not server or server[1] is None:
        return  # a Unix socket: nothing to connect to by address
    host, port = _connectable(str(server[0])), int(server[1])
    _learned = f"http://{host}:{port}/localfal"
    _allow_host(host)


def emulator_url() -> str:
    """The emulator's base URL: LOCALFAL_URL if set, else this server's own address."""
    if settings.LOCALFAL_URL:
        return settings.LOCALFAL_URL
    if _learned:
        return _learned
    # Not learned yet (a `runjobs` worker, a management command): the server started by
    # `make run` or the Procfile on this machine.
    return f"http://127.0.0.1:{os.environ.get('PORT') or 8000}/localfal"


def browser_url(url: str, request: Any) -> str:
    """An emulator URL as the browser of `request` reaches it.

    The emulator names files by the address the server reached it at (127.0.0.1:<port>),
    which a browser on another machine cannot open. When the emulator is this server's own,
    the same path on the origin the browser used serves the same file, and the emulator
    reads its own files by path whatever the host, so runs still find them."""
    own = emulator_url() + "/"
    if settings.LOCALFAL_URL or not url.startswith(own):
        return url
    return request.build_absolute_uri("/localfal/") + url[len(own) :]


def forget() -> None:
    """Tests: learn afresh."""
    global _learned
    _learned = None


def _connectable(host: str) -> str:
    """An address to connect to: a wildcard bind becomes loopback, IPv6 gets brackets."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host
    if address.is_unspecified:
        return "127.0.0.1" if address.version == 4 else "[::1]"
    return f"[{address}]" if address.version == 6 else str(address)


def _allow_host(host: str) -> None:
    """The emulator's own requests carry this address as their Host: accept it even when
    ALLOWED_HOSTS names only the public host. It is this server's own address, so it cannot
    poison links the way a foreign Host could."""
    if "*" not in settings.ALLOWED_HOSTS and host not in settings.ALLOWED_HOSTS:
        settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, host]
