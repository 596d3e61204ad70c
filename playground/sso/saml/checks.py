"""System checks of SAML sign-in; they read settings and look for a program, never the
network."""

from __future__ import annotations

import shutil
from typing import Any

from django.conf import settings
from django.core import checks


@checks.register(checks.Tags.security)
def xmlsec1_is_installed(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """pysaml2 checks every signature with the xmlsec1 program: without it no SAML
    sign-in can succeed."""
    if not settings.SAML_IDPS or shutil.which("xmlsec1"):
        return []
    return [
        checks.Error(
            "SAML identity providers are configured but the xmlsec1 program is missing.",
            hint="Install it (Debian: apt-get install xmlsec1; `make xmlsec1`).",
            id="sso_saml.E001",
        )
    ]
