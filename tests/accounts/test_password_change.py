from __future__ import annotations

import pytest
from django.contrib.auth import get_user
from django.urls import reverse

from tests.accounts.conftest import NEW_PASSWORD, PASSWORD

pytestmark = pytest.mark.django_db


def test_password_change_requires_login(client):
    url = reverse("password_change")

    response = client.get(url)

    assert response.status_code == 302
    assert response.url == f"{reverse('login')}?next={url}"


def test_password_change_form_autofocuses_the_current_password(client, alice):
    client.force_login(alice)

    html = client.get(reverse("password_change")).content.decode()

    assert 'autocomplete="current-password" autofocus' in html


def test_password_change_sets_the_new_password_and_keeps_the_session(client, alice):
    client.force_login(alice)

    response = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert response.status_code == 302
    assert response.url == reverse("password_change_done")
    alice.refresh_from_db()
    assert alice.check_password(NEW_PASSWORD)
    assert get_user(client) == alice
    assert client.get(response.url).status_code == 200


def test_wrong_current_password_changes_nothing(client, alice):
    client.force_login(alice)

    response = client.post(
        reverse("password_change"),
        {"old_password": "wrong", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert response.status_code == 200
    assert 'id="id_old_password_error"' in response.content.decode()
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)


def test_password_change_done_requires_login(client):
    response = client.get(reverse("password_change_done"))

    assert response.status_code == 302
