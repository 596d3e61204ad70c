"""SAML identity providers from the environment, numbered from 1:

    SAML_1_METADATA_URL=https://example.okta.com/app/.../sso/saml/metadata
    SAML_1_METADATA_FILE=/etc/playground/idp.xml   (instead of the URL)
    SAML_1_LABEL=Okta                              (the button: "Sign in with Okta")
    SAML_1_ID=okta-saml                            (in URLs and group rules; from the label)
    SAML_1_ENTITY_ID=http://www.okta.com/exk...    (needed when the metadata lists several)
    SAML_1_GROUPS_ATTRIBUTE=groups                 (the attribute listing the person's groups)
    SAML_1_USERNAME_ATTRIBUTE=uid                  (default: SSO_USERNAME_CLAIM, then NameID)
    SAML_1_EMAIL_ATTRIBUTE=email                   (default: email, mail or the claims URI)
    SAML_1_EMAIL_VERIFIED=0                        (1: the IdP vouches for the addresses)

Read by settings.py at start, so it imports nothing of Django but its exception and never
touches the network (metadata is read on the first sign-in, metadata.py).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from defusedxml import DefusedXmlException, ElementTree
from django.core.exceptions import ImproperlyConfigured

NUMBERED = re.compile(r"^SAML_(\d+)_METADATA_(URL|FILE)$")
METADATA_NS = "urn:oasis:names:tc:SAML:2.0:metadata"
PROVIDER_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,49}$")
_TRUE, _FALSE = {"1", "true", "yes", "on"}, {"", "0", "false", "no", "off"}


@dataclass(frozen=True)
class SamlIdp:
    id: str
    label: str
    metadata_url: str
    metadata_file: str
    entity_id: str  # empty: the only IdP the metadata describes
    groups_attribute: str
    username_attribute: str  # empty: SSO_USERNAME_CLAIM, then the NameID
    email_attribute: str  # empty: the usual names
    email_verified: bool


def idps_from_env(environ: Mapping[str, str]) -> list[SamlIdp]:
    """Every SAML_<n>_* IdP, by n. Raises ImproperlyConfigured for a bad or missing value."""
    numbers = sorted({int(m[1]) for name in environ if (m := NUMBERED.match(name))})
    found = [_idp(environ, n) for n in numbers]
    found = [idp for idp in found if idp is not None]
    ids = [idp.id for idp in found]
    for idp_id in ids:
        if ids.count(idp_id) > 1:
            raise ImproperlyConfigured(f"Two SAML identity providers have the id {idp_id!r}.")
    return found


def _idp(environ: Mapping[str, str], n: int) -> SamlIdp | None:
    def value(key: str, default: str = "") -> str:
        return (environ.get(f"SAML_{n}_{key}") or default).strip()

    url, file = value("METADATA_URL"), value("METADATA_FILE")
    if not url and not file:
        return None  # both blank, as in a copied .env.example
    if url and file:
        raise ImproperlyConfigured(
            f"Set SAML_{n}_METADATA_URL or SAML_{n}_METADATA_FILE, not both."
        )
    if url:
        _check_metadata_url(url, f"SAML_{n}_METADATA_URL")
    if file and not Path(file).is_file():
        raise ImproperlyConfigured(f"SAML_{n}_METADATA_FILE names no file: {file!r}.")
    label = value("LABEL", f"SAML provider {n}")
    idp_id = value("ID") or _slug(label) or f"saml{n}"
    if not PROVIDER_ID.match(idp_id):
        raise ImproperlyConfigured(
            f"SAML_{n}_ID must be lowercase letters, digits and dashes, got {idp_id!r}."
        )
    return SamlIdp(
        id=idp_id,
        label=label,
        metadata_url=url,
        metadata_file=file,
        entity_id=value("ENTITY_ID"),
        groups_attribute=value("GROUPS_ATTRIBUTE", "groups"),
        username_attribute=value("USERNAME_ATTRIBUTE"),
        email_attribute=value("EMAIL_ATTRIBUTE"),
        email_verified=_flag(value("EMAIL_VERIFIED"), f"SAML_{n}_EMAIL_VERIFIED"),
    )


def form_action_origins(idps: list[SamlIdp]) -> list[str]:
    """Where our sign-in and sign-out posts may redirect the browser (CSP form-action
    follows redirects): each IdP's metadata host (at Okta, Entra ID, Keycloak and ADFS its
    sign-in and sign-out pages are there too) and, for metadata in a file, the hosts of its
    SingleSignOnService and SingleLogoutService. Reads files only, never the network."""
    origins: set[str] = set()
    for idp in idps:
        if idp.metadata_url:
            origins.add(_origin(idp.metadata_url))
        else:
            origins.update(_service_origins(Path(idp.metadata_file).read_bytes()))
    return sorted(origin for origin in origins if origin)


def _service_origins(xml: bytes) -> set[str]:
    try:
        root = ElementTree.fromstring(xml)
    except (ElementTree.ParseError, DefusedXmlException):
        return set()  # the first sign-in says what is wrong with it
    services = [
        element
        for name in ("SingleSignOnService", "SingleLogoutService")
        for element in root.iter(f"{{{METADATA_NS}}}{name}")
    ]
    return {_origin(service.get("Location", "")) for service in services}


def _origin(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return ""
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}"


def _check_metadata_url(url: str, name: str) -> None:
    """https, or http to this machine only: metadata holds the keys that vouch for every
    sign-in, so it must not be readable or changeable on the way."""
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return
    if parts.scheme == "http" and _is_loopback(parts.hostname or ""):
        return
    raise ImproperlyConfigured(f"{name} must be an https:// URL, got {url!r}.")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _flag(raw: str, name: str) -> bool:
    if raw.lower() in _TRUE:
        return True
    if raw.lower() in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be 1 or 0, got {raw!r}.")


def _slug(label: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-")[:50]
