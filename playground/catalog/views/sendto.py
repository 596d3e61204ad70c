""" "Send to…" on an output: the menu of models that take it, each link opening the model
with the file in its field (gallery/reuse.py reads `?send=<field>&url=<file>`)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_safe

from playground.catalog.sendto import MEDIA, targets
from playground.demo.visitors import is_demo_model, login_or_demo

MAX_URL = 2000


def sendable_url(url: str) -> bool:
    """A file URL worth putting in a form: ours (a path) or http(s), of sane length."""
    if not url or len(url) > MAX_URL or any(c.isspace() for c in url):
        return False
    if url.startswith("/"):
        return not url.startswith("//")
    return url.startswith(("https://", "http://"))


@login_or_demo
@require_safe
def send_to_menu(request: HttpRequest) -> HttpResponse:
    """`?media=image|video|audio&url=<file>` -> the menu's items (an HTML fragment);
    400 for another kind of media or a URL that is not one. Demo visitors are offered the
    demo models only."""
    media, url = request.GET.get("media", ""), request.GET.get("url", "")
    if media not in MEDIA or not sendable_url(url):
        return HttpResponse("Send an image, video or audio file URL.", status=400)
    items = [
        {
            "title": target.title,
            "endpoint_id": target.endpoint_id,
            "field": target.field,
            "href": reverse("catalog:model", args=[target.endpoint_id])
            + "?"
            + urlencode({"send": target.field, "url": url}),
        }
        for target in targets(media)
        if request.user.is_authenticated or is_demo_model(target.endpoint_id)
    ]
    return render(request, "catalog/_send_to_menu.html", {"items": items, "media": media})
