"""This site as a SAML service provider: the pysaml2 configuration for each IdP, built from
settings on first use and kept (IdP metadata is fetched then, never at start-up).

Each IdP gets a configuration of its own, with only its metadata (its keys) and only its
assertion consumer URL: an answer posted for one IdP is checked against that IdP's keys
and must be addressed (Destination, Recipient) to that IdP's URL. What every configuration
demands: signed assertions, our entity id as the audience, an InResponseTo of a request
this browser made (no IdP-initiated sign-in), and times within SAML_CLOCK_SKEW_SECONDS.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import threading
import time
from dataclasses import dataclass

import httpx
from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.config import SPConfig

from playground.sso.saml.config import SamlIdp

log = logging.getLogger(__name__)

METADATA_MAX_BYTES = 5 * 1024 * 1024


class MetadataUnavailable(Exception):
    """The IdP's metadata could not be read (and no earlier copy is kept)."""


@dataclass
class _Kept:
    value: object
    until: float


_lock = threading.Lock()
_metadata: dict[str, _Kept] = {}
_configs: dict[tuple[str, str], _Kept] = {}


def idps() -> list[SamlIdp]:
    return list(settings.SAML_IDPS)


def find_idp(idp_id: str) -> SamlIdp | None:
    return next((idp for idp in idps() if idp.id == idp_id), None)


def saml_session_cookie_name() -> str:
    """djangosaml2's own session cookie (requests in flight, the signed-in subject)."""
    return getattr(settings, "SAML_SESSION_COOKIE_NAME", "saml_session")


def forget() -> None:
    """Drop kept metadata and configurations (tests; a changed IdP is read again anyway
    after SAML_METADATA_CACHE_SECONDS)."""
    with _lock:
        _metadata.clear()
        _configs.clear()


# --- this site's addresses ----------------------------------------------------------------


def site_url(request: HttpRequest) -> str:
    """PUBLIC_BASE_URL when set (behind a proxy the request may not know its public name)."""
    return settings.PUBLIC_BASE_URL or f"{request.scheme}://{request.get_host()}"


def entity_id(request: HttpRequest) -> str:
    return settings.SAML_SP_ENTITY_ID or site_url(request) + reverse("saml:metadata")


def acs_url(request: HttpRequest, idp: SamlIdp) -> str:
    return site_url(request) + reverse("saml:acs", args=[idp.id])


def sls_url(request: HttpRequest, idp: SamlIdp) -> str:
    return site_url(request) + reverse("saml:sls", args=[idp.id])


# --- configurations -------------------------------------------------------------------------


def sp_config(request: HttpRequest, idp: SamlIdp | None) -> SPConfig:
    """The configuration for answering `idp` (None: for our metadata only, without any
    IdP's). Raises MetadataUnavailable when the IdP's metadata cannot be read."""
    key = (site_url(request), idp.id if idp else "")
    now = time.monotonic()
    with _lock:
        kept = _configs.get(key)
        if kept is not None and kept.until > now:
            return kept.value
    config = SPConfig()
    try:
        config.load(_config_dict(request, idp))
    except MetadataUnavailable:
        raise
    except Exception as error:  # pysaml2 could not read the metadata (or our key pair)
        raise MetadataUnavailable(f"unusable SAML configuration: {error!r}") from None
    if idp is not None:
        idp_entity_id(config, idp)  # an ambiguous or empty metadata stops here
    with _lock:
        _configs[key] = _Kept(config, now + settings.SAML_METADATA_CACHE_SECONDS)
    return config


def idp_entity_id(config: SPConfig, idp: SamlIdp) -> str:
    """The entity id answers from `idp` must be issued by: SAML_n_ENTITY_ID, else the only
    IdP its metadata describes. Raises MetadataUnavailable when that is not one entity."""
    listed = list(config.metadata.identity_providers())
    if idp.entity_id:
        if idp.entity_id not in listed:
            raise MetadataUnavailable(f"{idp.entity_id} is not in the metadata of {idp.id}")
        return idp.entity_id
    if len(listed) != 1:
        raise MetadataUnavailable(
            f"the metadata of {idp.id} lists {len(listed)} IdPs: set its SAML_<n>_ENTITY_ID"
        )
    return listed[0]


def _config_dict(request: HttpRequest, idp: SamlIdp | None) -> dict:
    targets = [idp] if idp else idps()
    signing = _sp_key_pair()
    conf = {
        "entityid": entity_id(request),
        "xmlsec_binary": xmlsec_binary(),
        "accepted_time_diff": settings.SAML_CLOCK_SKEW_SECONDS,
        # Attributes keep the name the IdP gives them (e.g. "groups" or a claims URI).
        "allow_unknown_attributes": True,
        "service": {
            "sp": {
                "name": "Playground",
                "endpoints": {
                    "assertion_consumer_service": [
                        (acs_url(request, t), BINDING_HTTP_POST) for t in targets
                    ],
                    "single_logout_service": [
                        (sls_url(request, t), BINDING_HTTP_REDIRECT) for t in targets
                    ],
                },
                "allow_unsolicited": False,
                "want_assertions_signed": True,
                "want_response_signed": False,  # many IdPs sign the assertion only
                "authn_requests_signed": bool(signing),
                "logout_requests_signed": bool(signing),
            }
        },
        "metadata": {"inline": [idp_metadata(idp)]} if idp else {},
    }
    if signing:
        key_file, cert_file = signing
        conf.update(
            key_file=key_file,
            cert_file=cert_file,
            encryption_keypairs=[{"key_file": key_file, "cert_file": cert_file}],
        )
    return conf


def xmlsec_binary() -> str:
    found = shutil.which("xmlsec1")
    if found is None:
        raise MetadataUnavailable("xmlsec1 is not installed (Debian package xmlsec1)")
    return found


# --- IdP metadata ---------------------------------------------------------------------------


def idp_metadata(idp: SamlIdp) -> str:
    """The IdP's metadata XML: its file, or its URL fetched (with a timeout) and kept for
    SAML_METADATA_CACHE_SECONDS. When a fetch fails the last good copy is used."""
    if idp.metadata_file:
        try:
            with open(idp.metadata_file, encoding="utf-8") as file:
                return file.read()
        except OSError as error:
            raise MetadataUnavailable(f"cannot read {idp.metadata_file}: {error}") from None
    now = time.monotonic()
    with _lock:
        kept = _metadata.get(idp.id)
    if kept is not None and kept.until > now:
        return kept.value
    try:
        xml = _fetch(idp.metadata_url)
    except MetadataUnavailable:
        if kept is None:
            raise
        log.warning("SAML metadata of %s unreachable; using the copy kept", idp.id)
        return kept.value
    with _lock:
        _metadata[idp.id] = _Kept(xml, now + settings.SAML_METADATA_CACHE_SECONDS)
    return xml


def _fetch(url: str) -> str:
    try:
        with httpx.stream("GET", url, timeout=settings.SAML_METADATA_TIMEOUT_SECONDS) as answer:
            if answer.status_code != 200:
                raise MetadataUnavailable(f"{url} answered {answer.status_code}")
            body = bytearray()
            for chunk in answer.iter_bytes():
                body.extend(chunk)
                if len(body) > METADATA_MAX_BYTES:
                    raise MetadataUnavailable(f"{url} sent more than {METADATA_MAX_BYTES} bytes")
    except httpx.HTTPError as error:
        raise MetadataUnavailable(f"{url}: {error.__class__.__name__}") from None
    return body.decode("utf-8", errors="replace")


# --- our key pair ---------------------------------------------------------------------------

_key_files: dict[tuple[str, str], tuple[str, str]] = {}


def _sp_key_pair() -> tuple[str, str] | None:
    """(key file, certificate file) when SAML_SP_KEY_FILE/CERT_FILE, or SAML_SP_KEY/CERT
    (PEM text, written once to files only we may read: xmlsec1 reads files), are set."""
    if settings.SAML_SP_KEY_FILE and settings.SAML_SP_CERT_FILE:
        return settings.SAML_SP_KEY_FILE, settings.SAML_SP_CERT_FILE
    pair = (settings.SAML_SP_KEY, settings.SAML_SP_CERT)
    if not all(pair):
        return None
    with _lock:
        if pair not in _key_files:
            _key_files[pair] = (_private_file(pair[0]), _private_file(pair[1]))
        return _key_files[pair]


def _private_file(text: str) -> str:
    handle, path = tempfile.mkstemp(prefix="playground-saml-", suffix=".pem")
    with os.fdopen(handle, "w") as file:  # mkstemp makes it readable by its owner only
        file.write(text.replace("\\n", "\n"))
    return path
