"""Saying no in words a person can read, where they are looking.

Every 403 of the app comes through `refuse` (views that answer a refusal themselves) or
`permission_denied` (the project's handler403, for a raised PermissionDenied):

- an htmx request gets one alert, swapped into the page's messages area (`HX-Retarget`),
  so the page stays as it was and says why (static/js/ui.js lets htmx swap that 403);
- any other request gets the site's own page with the message and a way back.

The status stays 403 either way: scripts and tests see the refusal for what it is.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.utils.http import url_has_allowed_host_and_scheme

DEFAULT_MESSAGE = "You don't have permission to do that."
MESSAGES_AREA = ".container.messages"  # base.html's alerts, under the header


def refuse(request: HttpRequest, message: str = "", *, status: int = 403) -> HttpResponse:
    """`message` shown where the person is looking, with `status` (403, or 400 for a
    request that cannot be done as asked)."""
    message = message or DEFAULT_MESSAGE
    if getattr(request, "htmx", False):
        html = render_to_string(
            "includes/alert.html",
            {"level": "error", "text": message, "dismissible": True, "role": "alert"},
            request=request,
        )
        response = HttpResponse(html, status=status)
        response["HX-Retarget"] = MESSAGES_AREA
        response["HX-Reswap"] = "innerHTML"
        return response
    context = {"message": message, "back": _back(request), "status": status}
    html = render_to_string("403.html", context, request=request)
    return HttpResponse(html, status=status)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """handler403: the message the view raised (`PermissionDenied("...")`), or a plain one."""
    message = str(exception) if exception and str(exception) else ""
    return refuse(request, message)


def _back(request: HttpRequest) -> str:
    """Where the person came from, when it is one of our pages."""
    referer = request.headers.get("Referer", "")
    safe = url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return referer if referer and safe else ""
