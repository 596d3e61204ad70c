"""Log-in throttling (django-axes): too many failures for a username or from an address
refuse even the right password for a while, with our page saying when to try again."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user
from django.core.management import call_command
from django.urls import reverse

from tests.accounts.conftest import PASSWORD

pytestmark = pytest.mark.django_db

WRONG = "not-the-password"


def log_in(client, username: str, password: str, ip: str = "127.0.0.1", **extra):
    return client.post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=ip, **extra
    )


def fail_five_times(client, username: str = "alice", ip: str = "127.0.0.1") -> None:
    for _ in range(5):
        log_in(client, username, WRONG, ip)


def test_five_wrong_passwords_then_even_the_right_one_is_refused_with_the_wait(client, alice):
    fail_five_times(client)

    response = log_in(client, "alice", PASSWORD)

    assert response.status_code == 429
    assert response["Retry-After"] == "900"
    html = response.content.decode()
    assert re.search(r'role="alert"[^>]*>.*Too many failed log-ins.*Try again in 15', html, re.S)
    assert 'name="username"' in html and 'value="alice"' in html  # our page, with its form
    assert not get_user(client).is_authenticated


def test_four_wrong_passwords_still_let_the_right_one_in(client, alice):
    for _ in range(4):
        assert log_in(client, "alice", WRONG).status_code == 200

    response = log_in(client, "alice", PASSWORD)

    assert response.status_code == 302
    assert get_user(client) == alice


def test_another_user_from_another_address_is_unaffected(client, alice, django_user_model):
    django_user_model.objects.create_user("bob", password=PASSWORD)
    fail_five_times(client)

    response = log_in(client, "bob", PASSWORD, ip="10.0.0.2")

    assert response.status_code == 302
    assert get_user(client).username == "bob"


def test_the_locked_username_is_refused_from_any_address(client, alice):
    fail_five_times(client, ip="10.0.0.1")

    assert log_in(client, "alice", PASSWORD, ip="10.0.0.9").status_code == 429


def test_an_address_guessing_many_usernames_is_locked_out(client, alice):
    for name in ("ann", "ben", "cid", "dan", "eve"):
        log_in(client, name, WRONG, ip="10.0.0.1")

    assert log_in(client, "alice", PASSWORD, ip="10.0.0.1").status_code == 429
    assert log_in(client, "alice", PASSWORD, ip="10.0.0.2").status_code == 302


def test_the_cool_off_is_a_setting(client, alice, settings):
    from datetime import timedelta

    settings.AXES_COOLOFF_TIME = timedelta(minutes=2)
    fail_five_times(client)

    response = log_in(client, "alice", PASSWORD)

    assert response["Retry-After"] == "120"
    assert "Try again in 2\xa0minutes" in response.content.decode()


def test_the_admin_login_is_throttled_too(client, alice):
    alice.is_staff = alice.is_superuser = True
    alice.save()
    url = reverse("admin:login")
    for _ in range(5):
        client.post(url, {"username": "alice", "password": WRONG, "next": "/admin/"})

    response = client.post(url, {"username": "alice", "password": PASSWORD, "next": "/admin/"})

    assert response.status_code == 429
    html = response.content.decode()
    assert "Too many failed log-ins" in html
    assert 'name="next" value="/admin/"' in html
    assert not get_user(client).is_authenticated


def test_staff_lift_a_lock_with_axes_reset_username(client, alice):
    fail_five_times(client)

    call_command("axes_reset_username", "alice")

    assert log_in(client, "alice", PASSWORD).status_code == 302


def test_x_forwarded_for_is_ignored_unless_behind_a_proxy(client, alice, settings):
    settings.BEHIND_PROXY = False
    for n in range(5):  # an attacker rotating a forged header from one address
        log_in(client, f"user{n}", WRONG, HTTP_X_FORWARDED_FOR=f"203.0.113.{n}")

    assert log_in(client, "alice", PASSWORD).status_code == 429


def test_behind_a_proxy_the_address_it_appended_counts(client, alice, settings):
    settings.BEHIND_PROXY = True
    for n in range(5):  # the forged first entries change, the proxy's last entry does not
        log_in(client, f"user{n}", WRONG, HTTP_X_FORWARDED_FOR=f"203.0.113.{n}, 198.51.100.7")

    locked = log_in(client, "alice", PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.7")
    other = log_in(client, "alice", PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.8")

    assert locked.status_code == 429
    assert other.status_code == 302


def test_a_junk_forwarded_address_falls_back_to_the_connection(client, alice, settings):
    settings.BEHIND_PROXY = True

    response = log_in(client, "alice", WRONG, HTTP_X_FORWARDED_FOR="<script>, not-an-ip")

    assert response.status_code == 200
    from axes.models import AccessAttempt

    assert AccessAttempt.objects.get().ip_address == "127.0.0.1"


@pytest.mark.django_db(transaction=True)
async def test_the_lockout_page_is_served_on_the_async_path_too(async_client, alice):
    # Under ASGI the middleware chain runs async: axes calls the lockout page differently.
    for _ in range(5):
        await async_client.post(reverse("login"), {"username": "alice", "password": WRONG})

    response = await async_client.post(
        reverse("login"), {"username": "alice", "password": PASSWORD}
    )

    assert response.status_code == 429
    assert "Too many failed log-ins" in response.content.decode()
