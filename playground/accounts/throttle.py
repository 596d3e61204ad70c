"""Log-in throttling with django-axes (settings: AXES_*, LOGIN_FAILURE_LIMIT,
LOGIN_COOLOFF_MINUTES): whose address a request comes from, and the page a locked-out
visitor sees instead of axes' bare answer.

Locks are lifted by waiting, or by staff: `manage.py axes_reset_username NAME`,
`manage.py axes_reset_ip ADDRESS`, `manage.py axes_reset` (all), or by deleting the
access attempts in the admin.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.timesince import timeuntil

from playground.accounts.views import safe_next_url


def _valid_ip(value: str) -> str | None:
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def client_ip(request: HttpRequest) -> str | None:
    """AXES_CLIENT_IP_CALLABLE. Behind a proxy (BEHIND_PROXY=1) the last X-Forwarded-For
    entry: the address that connected to the proxy, which the proxy appended itself (the
    entries before it are whatever the client sent). Otherwise the connecting address."""
    if settings.BEHIND_PROXY:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        found = _valid_ip(forwarded.rsplit(",", 1)[-1]) if forwarded else None
        if found:
            return found
    return _valid_ip(request.META.get("REMOTE_ADDR") or "")


def lockout_message() -> str:
    now = timezone.now()
    wait = timeuntil(now + settings.AXES_COOLOFF_TIME, now)
    return (
        "Too many failed log-ins for this account or from this address, so logging in is "
        f"paused. Try again in {wait}."
    )


def locked_out(request: HttpRequest, *_: Any) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE: the login page again (429) with the reason and the wait.

    Every refused try starts the cool-off again, so the wait is the whole cool-off. Axes
    passes (response, credentials) in sync mode but only (credentials) in async mode, in
    that position: neither is needed here."""
    username = request.POST.get("username", "")[:150]
    next_url = safe_next_url(request)
    if not next_url and request.path == reverse("admin:login"):
        next_url = reverse("admin:index")
    context = {
        "form": AuthenticationForm(request, initial={"username": username}),
        "next": next_url,
        "lockout": lockout_message(),
        # Only a password log-in gets locked out: the form it came from stays in view.
        "show_password_form": True,
        "sso_only": settings.SSO_ONLY,
    }
    response = render(request, "registration/login.html", context, status=429)
    response["Retry-After"] = str(int(settings.AXES_COOLOFF_TIME.total_seconds()))
    return response
