"""Hostile probes against a real server (daphne, DEBUG off): every HTML page carries the
Content-Security-Policy, and markup an anonymous visitor sends comes back as text."""

from __future__ import annotations

import re
from urllib.parse import quote

import httpx
import pytest

pytestmark = pytest.mark.usefixtures("transactional_db")
PAYLOAD = '"><img src=x onerror=alert(1)><script>alert(2)</script>'


def policy_of(response: httpx.Response) -> dict[str, list[str]]:
    header = response.headers.get("Content-Security-Policy", "")
    parts = (part.split() for part in header.split(";") if part.strip())
    return {words[0]: words[1:] for words in parts}


@pytest.mark.parametrize(
    "path", ["/", "/models/", "/accounts/login/", "/admin/login/", "/no-such-page/"]
)
def test_every_html_page_carries_a_strict_policy(live_app, path):
    response = httpx.get(f"{live_app.url}{path}", follow_redirects=False)
    policy = policy_of(response)

    assert response.headers["Content-Type"].startswith("text/html")
    assert policy["default-src"] == ["'self'"] and policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"] and policy["base-uri"] == ["'self'"]
    for directive in ("script-src", "style-src"):
        assert "'unsafe-inline'" not in policy[directive]
        assert "'unsafe-eval'" not in policy[directive]


def test_markup_in_a_search_comes_back_as_text(live_app):
    response = httpx.get(f"{live_app.url}/models/?q={quote(PAYLOAD)}")

    assert response.status_code == 200
    assert "<img src=x" not in response.text and "<script>alert(2)" not in response.text
    assert "&lt;img src=x onerror=alert(1)&gt;" in response.text


def test_markup_in_a_login_attempt_comes_back_as_text(live_app):
    with httpx.Client(base_url=live_app.url) as client:
        page = client.get("/accounts/login/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
        response = client.post(
            "/accounts/login/",
            data={"csrfmiddlewaretoken": token, "username": PAYLOAD, "password": "x"},
            headers={"Referer": f"{live_app.url}/accounts/login/"},
        )

    assert response.status_code == 200  # the form again, with the name as typed
    assert "<img src=x" not in response.text and "<script>alert(2)" not in response.text
    assert "&lt;img src=x onerror=alert(1)&gt;" in response.text
    assert policy_of(response)["script-src"][0] == "'self'"


def test_markup_in_a_missing_page_address_comes_back_as_text(live_app):
    response = httpx.get(f"{live_app.url}/{quote(PAYLOAD)}/")

    assert response.status_code == 404
    assert "<img src=x" not in response.text and "<script>alert(2)" not in response.text
    assert "Content-Security-Policy" in response.headers
