from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user
from django.urls import reverse

from tests.accounts.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def test_login_page_has_autocomplete_and_autofocus(client):
    html = client.get(reverse("login")).content.decode()

    assert re.search(r'<input[^>]*name="username"[^>]*autofocus', html)
    assert re.search(r'<input[^>]*name="password"[^>]*autocomplete="current-password"', html)


def test_login_signs_in_and_goes_home(client, alice):
    response = client.post(reverse("login"), {"username": "alice", "password": PASSWORD})

    assert response.status_code == 302
    assert response.url == reverse("home")
    assert get_user(client) == alice


def test_login_follows_a_safe_next_url(client, alice):
    target = reverse("password_change")

    response = client.post(
        f"{reverse('login')}?next={target}",
        {"username": "alice", "password": PASSWORD, "next": target},
    )

    assert response.url == target


def test_login_ignores_a_next_url_on_another_host(client, alice):
    response = client.post(
        reverse("login"),
        {"username": "alice", "password": PASSWORD, "next": "https://evil.example/"},
    )

    assert response.url == reverse("home")


def test_wrong_password_shows_an_alert_and_signs_nobody_in(client, alice):
    response = client.post(reverse("login"), {"username": "alice", "password": "nope"})

    assert response.status_code == 200
    html = response.content.decode()
    assert re.search(r'role="alert"[^>]*>.*Please enter a correct username', html, re.S)
    assert not get_user(client).is_authenticated


def test_signed_in_user_visiting_login_is_sent_home(client, alice):
    client.force_login(alice)

    response = client.get(reverse("login"))

    assert response.status_code == 302
    assert response.url == reverse("home")


def test_logout_by_get_is_not_allowed(client, alice):
    client.force_login(alice)

    response = client.get(reverse("logout"))

    assert response.status_code == 405
    assert get_user(client) == alice


def test_logout_by_post_signs_out_and_says_so(client, alice):
    client.force_login(alice)

    response = client.post(reverse("logout"), follow=True)

    assert response.redirect_chain == [(reverse("home"), 302)]
    assert not get_user(client).is_authenticated
    assert "You have been logged out." in response.content.decode()
