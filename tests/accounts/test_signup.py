from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user
from django.contrib.auth.models import User
from django.urls import reverse

from tests.accounts.conftest import signup_data

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _open_signup(settings):
    """The form itself; who may use it (settings.SIGNUP) is test_signup_policy.py's."""
    settings.SIGNUP = "open"


def test_signup_page_has_labelled_fields_with_autocomplete(client):
    response = client.get(reverse("signup"))

    assert response.status_code == 200
    html = response.content.decode()
    assert re.search(r'<input[^>]*name="username"[^>]*autocomplete="username"', html)
    assert re.search(r'<input[^>]*name="username"[^>]*autofocus', html)
    assert re.search(r'<input[^>]*name="email"[^>]*autocomplete="email"', html)
    assert re.search(r'<input[^>]*name="password1"[^>]*autocomplete="new-password"', html)
    for field in ("username", "email", "password1", "password2"):
        assert f'<label class="field__label" for="id_{field}">' in html


def test_signup_creates_the_user_logs_in_and_goes_home(client):
    response = client.post(reverse("signup"), signup_data(email="dora@example.com"))

    assert response.status_code == 302
    assert response.url == reverse("home")
    user = User.objects.get(username="dora")
    assert user.email == "dora@example.com"
    assert user.check_password(signup_data()["password1"])
    assert get_user(client) == user
    home = client.get(response.url).content.decode()
    assert "Welcome to Playground, dora!" in home


def test_signup_without_email_is_fine(client):
    client.post(reverse("signup"), signup_data())

    assert User.objects.get(username="dora").email == ""


def test_mismatched_passwords_show_an_inline_error_and_create_nothing(client):
    response = client.post(reverse("signup"), signup_data(password2="something-else-entirely"))

    assert response.status_code == 200
    html = response.content.decode()
    assert re.search(r'<ul class="field__errors" id="id_password2_error">\s*<li>The two', html)
    password2 = re.search(r'<input[^>]*name="password2"[^>]*>', html).group(0)
    assert 'aria-invalid="true"' in password2
    assert 'aria-describedby="id_password2_error"' in password2
    # Focus moves to the field to fix.
    assert "autofocus" in password2
    assert "autofocus" not in re.search(r'<input[^>]*name="username"[^>]*>', html).group(0)
    assert not User.objects.exists()
    assert not get_user(client).is_authenticated


def test_duplicate_username_is_rejected_whatever_its_case(client, alice):
    response = client.post(reverse("signup"), signup_data(username="Alice"))

    assert response.status_code == 200
    assert "A user with that username already exists." in response.content.decode()
    assert list(User.objects.values_list("username", flat=True)) == ["alice"]


def test_weak_password_is_rejected_inline(client):
    response = client.post(
        reverse("signup"), signup_data(password1="12345678", password2="12345678")
    )

    assert response.status_code == 200
    assert "This password is entirely numeric." in response.content.decode()
    assert not User.objects.exists()


def test_signed_in_user_visiting_signup_is_sent_home(client, alice):
    client.force_login(alice)

    response = client.get(reverse("signup"))

    assert response.status_code == 302
    assert response.url == reverse("home")
