"""A real SAML IdP (tests/sso/saml/idp.py) and the steps of a sign-in through it, for
Django's test client: start at our login URL, sign in at the IdP, post its answer back."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from django.test import Client

from playground.sso.saml import sp
from playground.sso.saml.config import SamlIdp
from tests.sso.saml.idp import IdpUser, TestIdp

IDP_USERS = {
    "ada": IdpUser(
        password="ada-pass", email="ada@example.com", groups=["design-leads", "everyone"]
    ),
    "grace": IdpUser(password="grace-pass", email="grace@example.com", groups=["everyone"]),
}


@pytest.fixture(scope="session")
def idp_for_test_client():
    """One IdP for the whole run; it reads the SP's metadata through Django's test client
    (host `testserver`), whatever the test's settings are at that moment."""
    idp = TestIdp(
        sp_metadata=lambda: Client().get("/sso/saml/metadata/").content.decode(),
        users=IDP_USERS,
    ).start()
    yield idp
    idp.stop()


def saml_idp_setting(idp: TestIdp, **overrides) -> SamlIdp:
    values = {
        "id": "test-idp",
        "label": "Test IdP",
        "metadata_url": idp.metadata_url,
        "metadata_file": "",
        "entity_id": "",
        "groups_attribute": "groups",
        "username_attribute": "",
        "email_attribute": "",
        "email_verified": False,
        **overrides,
    }
    return SamlIdp(**values)


@pytest.fixture
def saml_idp(settings, idp_for_test_client):
    """The IdP configured as the only SAML provider; configurations and metadata made
    afresh for each test (settings differ), and assertion ids forgotten."""
    from django.core.cache import cache

    settings.SAML_IDPS = [saml_idp_setting(idp_for_test_client)]
    settings.PUBLIC_BASE_URL = ""
    sp.forget()
    idp_for_test_client.forget()
    cache.clear()
    yield idp_for_test_client
    sp.forget()


def start_sign_in(client: Client, idp_id: str = "test-idp", **data) -> str:
    """Press "Sign in with ..." (POST): where our site sends the browser (the IdP)."""
    response = client.post(f"/sso/saml/{idp_id}/login/", data)
    assert response.status_code == 302, response.content[:500]
    return response["Location"]


def sign_in_at_idp(location: str, username: str, password: str, mode: str = "normal") -> dict:
    """Fill the IdP's form: the fields of the page it answers with (to post to our ACS)."""
    query = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
    base = location.split("/sso?")[0]
    form = {**query, "username": username, "password": password, "mode": mode}
    page = httpx.post(f"{base}/sso/login", data=form, timeout=10).text
    found = re.search(r'action="([^"]+)"', page)
    assert found, page[:2000]
    action = unescape(found[1])
    fields = dict(re.findall(r'name="(\w+)" value="([^"]*)"', page))
    assert "SAMLResponse" in fields, page[:1000]
    return {"action": action, **{k: unescape(v) for k, v in fields.items()}}


def post_answer(client: Client, answer: dict):
    """The browser posts the IdP's answer to our ACS."""
    path = urlsplit(answer["action"]).path
    data = {k: v for k, v in answer.items() if k != "action"}
    return client.post(path, data)


def sign_in(client: Client, username: str = "ada", mode: str = "normal", **start):
    location = start_sign_in(client, **start)
    password = IDP_USERS[username].password
    return post_answer(client, sign_in_at_idp(location, username, password, mode))


def signed_in_user(client: Client):
    from django.contrib.auth import get_user_model

    user_id = client.session.get("_auth_user_id")
    return get_user_model().objects.get(pk=user_id) if user_id else None


def messages_of(client: Client, response) -> list[str]:
    """The messages the page the response redirects to shows."""
    page = client.get(response["Location"])
    return [str(m) for m in page.context["messages"]] if page.context else []
