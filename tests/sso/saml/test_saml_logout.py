"""Sign-out after a SAML sign-in: Playground's session ends, then single logout at the IdP
(its metadata lists a SingleLogoutService), and the IdP's answer brings the browser home."""

from __future__ import annotations

from urllib.parse import urlsplit

import httpx
import pytest
from django.test import Client

from tests.sso.saml.conftest import sign_in, signed_in_user

pytestmark = pytest.mark.django_db


def test_sign_out_ends_the_session_here_and_at_the_idp(client, saml_idp):
    sign_in(client, "ada")
    before = len(saml_idp.logouts)

    ours = client.post("/accounts/logout/")
    assert signed_in_user(client) is None  # ended here first, whatever the IdP does
    assert ours["Location"].startswith("/sso/saml/test-idp/logout/?ticket=")
    to_idp = client.get(ours["Location"])
    assert to_idp["Location"].startswith(f"{saml_idp.base_url}/slo?SAMLRequest=")
    back = httpx.get(to_idp["Location"], follow_redirects=False)
    assert len(saml_idp.logouts) == before + 1  # the IdP got our LogoutRequest
    back_url = urlsplit(back.headers["Location"])
    assert back_url.path == "/sso/saml/test-idp/sls/"
    home = client.get(f"{back_url.path}?{back_url.query}")
    assert home.status_code == 302
    assert home["Location"] == "/"


def test_the_logout_ticket_works_only_in_the_browser_that_signed_out(client, saml_idp):
    sign_in(client, "ada")
    ticket_url = client.post("/accounts/logout/")["Location"]
    other = Client()
    sign_in(other, "grace")
    response = other.get(ticket_url)
    assert response["Location"] == "/"  # home, nothing sent to the IdP
    assert signed_in_user(other) is not None


def test_a_logout_message_nobody_understands_goes_home(client, saml_idp):
    sign_in(client, "ada")
    response = client.get("/sso/saml/test-idp/sls/", {"SAMLResponse": "garbage"})
    assert response.status_code == 302
    response = client.get("/sso/saml/test-idp/sls/", {"SAMLRequest": "garbage"})
    assert response.status_code == 302
    assert signed_in_user(client) is None
