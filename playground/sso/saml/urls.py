from __future__ import annotations

import functools
from importlib import import_module

from django.conf import settings
from django.http import Http404
from django.urls import path
from django.views.decorators.csrf import csrf_exempt


def lazily(name: str, *, exempt: bool = False):
    """The view `name` of views.py, imported at its first request: pysaml2 takes most of
    a second to import (it loads the SAML XML schemas), which a server whose people never
    use SAML should not pay. `exempt`: the IdP posts there, with no CSRF token."""

    @functools.cache
    def view_function():
        view = getattr(import_module("playground.sso.saml.views"), name)
        return view.as_view() if isinstance(view, type) else view

    def view(request, *args, **kwargs):
        # No IdP configured (the default): nothing here serves anyone, and a stranger
        # must not make the server load pysaml2 or build metadata for nothing.
        if not settings.SAML_IDPS:
            raise Http404("SAML sign-in is not configured.")
        return view_function()(request, *args, **kwargs)

    return csrf_exempt(view) if exempt else view


app_name = "saml"
urlpatterns = [
    path("metadata/", lazily("metadata"), name="metadata"),
    path("<str:idp_id>/login/", lazily("Login"), name="login"),
    path("<str:idp_id>/acs/", lazily("Acs", exempt=True), name="acs"),
    path("<str:idp_id>/logout/", lazily("Logout"), name="logout"),
    path("<str:idp_id>/sls/", lazily("Sls", exempt=True), name="sls"),
]
