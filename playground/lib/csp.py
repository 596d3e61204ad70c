"""The Content-Security-Policy of every page (served by django-csp), and its inline scripts.

Scripts come only from our own static files, plus the few inline scripts listed here by
hash; styles only from our stylesheets (no style attributes, no <style> elements: values
that change at run time are set by JS through CSSOM, which CSP does not restrict).
Pictures and media come from this server, `data:`/`blob:` URLs (the realtime canvas, the
stylesheets' icons), the embedded emulator's CDN and, in fal mode, fal's media CDN.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any
from urllib.parse import urlsplit

from csp.constants import NONE, SELF
from csp.middleware import CSPMiddleware

# Inline scripts the pages carry, drawn by `{% inline_script %}`; each is allowed by its
# hash, so a change here changes the policy with it.
INLINE_SCRIPTS = {
    # Applies a saved theme before the first paint, so a dark-mode pick never flashes light.
    "theme": (
        'try{var t=localStorage.getItem("theme");'
        'if(t==="light"||t==="dark")document.documentElement.dataset.theme=t}catch(e){}'
    ),
}

# Where fal keeps files: uploads (v3.fal.media, v3b...), outputs and the examples in its
# schemas (its Google Cloud Storage bucket); fal-protocol.md §7.
FAL_MEDIA_SOURCES = (
    "https://fal.media",
    "https://*.fal.media",
    "https://storage.googleapis.com/falserverless/",
)


def script_hash(source: str) -> str:
    digest = hashlib.sha256(source.encode()).digest()
    return f"'sha256-{base64.b64encode(digest).decode()}'"


def origin_of(url: str) -> str:
    """`scheme://host[:port]` of an absolute URL, "" for anything else."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return ""
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}"


def emulator_sources() -> list[str]:
    """The embedded emulator's origin, in local mode. It names its files by the address the
    server reached it at (learned at run time, see localfal/address.py), which is not
    always the one the browser uses (127.0.0.1 vs localhost in development)."""
    from django.conf import settings

    if settings.FAL_MODE != "local":
        return []
    from playground.localfal.address import emulator_url

    origin = origin_of(emulator_url())
    return [origin] if origin else []


def content_security_policy(*, fal_mode: bool) -> dict[str, Any]:
    """The `CONTENT_SECURITY_POLICY` setting of django-csp (the emulator's origin is added
    per response by the middleware, since it is only known once the server runs)."""
    media = [SELF, "data:", "blob:", *(FAL_MEDIA_SOURCES if fal_mode else ())]
    return {
        "DIRECTIVES": {
            "default-src": [SELF],
            "script-src": [SELF, *(script_hash(s) for s in INLINE_SCRIPTS.values())],
            # No 'unsafe-inline' for styles: templates carry no style attributes and htmx
            # is told not to inject its indicator <style> (meta htmx-config in base.html).
            "style-src": [SELF],
            "img-src": media,
            "media-src": media,
            # CSP 3: 'self' also matches ws:/wss: on this host and port (the live panels
            # and the realtime relay); Chromium follows it.
            "connect-src": [SELF],
            "font-src": [SELF],
            "object-src": [NONE],
            "base-uri": [SELF],
            "form-action": [SELF],
            "frame-ancestors": [NONE],
        }
    }


class AsyncCSPMiddleware(CSPMiddleware):
    """django-csp's middleware without a thread hop under ASGI.

    Its hooks only read settings and set a header, yet MiddlewareMixin runs each one
    through `sync_to_async` on the shared thread; here they run inline on the loop.
    """

    async def __acall__(self, request: Any) -> Any:
        self.process_request(request)
        response = await self.get_response(request)
        return self.process_response(request, response)

    def process_response(self, request: Any, response: Any) -> Any:
        emulator = emulator_sources()
        if emulator:
            update = dict(getattr(response, "_csp_update", None) or {})
            for directive in ("img-src", "media-src"):
                update[directive] = [*update.get(directive, []), *emulator]
            response._csp_update = update
        return super().process_response(request, response)
