"""Which event loop is running: the server's own, or a short-lived one (tests, scripts)."""

from __future__ import annotations

import asyncio
import sys


def is_server_loop(loop: asyncio.AbstractEventLoop | None = None) -> bool:
    """The loop daphne serves on (Twisted's asyncio reactor runs it), which lasts as long
    as the process. Clients bound to a loop (connection pools, Redis asyncio clients) are
    kept only on this one: on any other loop nothing would close them when it ends."""
    loop = loop or asyncio.get_running_loop()
    reactor = sys.modules.get("twisted.internet.reactor")
    return getattr(reactor, "_asyncioEventloop", None) is loop
