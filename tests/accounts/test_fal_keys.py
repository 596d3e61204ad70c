"""Stored fal keys: encrypted at rest, entered once, shown only by their last four
characters, replaceable and removable; the key itself is in no page, message or log."""

from __future__ import annotations

import logging
import re

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from playground.accounts.models import FalCredential, Membership

pytestmark = pytest.mark.django_db


def shown(html: str) -> str:
    """The page's text as read: the last four follow a visually hidden "Key ending in"."""
    return re.sub(r"<[^>]+>", "", html)


KEY = "a1b2c3d4-e5f6-7890-abcd-ef0123456789:0f1e2d3c4b5a69788796a5b4c3d2e1f0"
TEAM_KEY = "team-9f8e7d6c5b4a3928-1a2b3c4d5e6f7a8b:feedfacecafebeef0123456789wxyz"


def test_personal_key_is_stored_encrypted_and_shown_by_its_last_four(client_alice, alice):
    response = client_alice.post(reverse("fal_keys"), {"key": f"  {KEY}\n"}, follow=True)

    credential = FalCredential.objects.get(user=alice)
    assert credential.encrypted_key != KEY
    assert KEY not in credential.encrypted_key
    assert credential.get_key() == KEY
    assert credential.last4 == "e1f0"
    html = response.content.decode()
    assert "Your fal key ending in e1f0 is saved." in html
    assert "…e1f0" in shown(html)
    assert KEY not in html


def test_replacing_a_key_keeps_one_credential(client_alice, alice):
    client_alice.post(reverse("fal_keys"), {"key": KEY})

    client_alice.post(reverse("fal_keys"), {"key": "replacement-key-00001234"})

    credential = FalCredential.objects.get(user=alice)
    assert (credential.get_key(), credential.last4) == ("replacement-key-00001234", "1234")


def test_removing_the_key_forgets_it(client_alice, alice):
    client_alice.post(reverse("fal_keys"), {"key": KEY})

    response = client_alice.post(reverse("fal_key_remove"), follow=True)

    assert not FalCredential.objects.filter(user=alice).exists()
    html = response.content.decode()
    assert "Your fal key was removed." in html
    assert "No key stored" in html


@pytest.mark.parametrize(
    ("posted", "error"),
    [
        ("", "Paste your fal key."),
        ("k7x-q9z", "8 to 200 characters"),
        ("x" * 201, "8 to 200 characters"),
        ("two words-in-a-key", "no spaces or line breaks"),
    ],
)
def test_malformed_keys_are_explained_and_never_echoed(client_alice, alice, posted, error):
    response = client_alice.post(reverse("fal_keys"), {"key": posted})

    html = response.content.decode()
    assert response.status_code == 200
    assert error in html
    assert 'id="id_key_error"' in html
    if posted:
        assert posted not in html
    assert not FalCredential.objects.exists()


def test_key_form_by_htmx_answers_the_key_section(client_alice, alice):
    response = client_alice.post(reverse("fal_keys"), {"key": KEY}, HTTP_HX_REQUEST="true")

    html = response.content.decode()
    assert html.lstrip().startswith("<section")
    assert 'id="fal-key"' in html
    assert "…e1f0" in shown(html)
    assert KEY not in html
    assert "<html" not in html


def test_keys_page_explains_resolution_and_local_mode(client_alice, settings):
    settings.FAL_MODE = "local"

    html = client_alice.get(reverse("fal_keys")).content.decode()

    assert "Which key a run uses" in html
    assert "stored keys are kept, but the emulator answers" in html


def test_keys_page_in_fal_mode_says_nothing_about_the_emulator(client_alice, settings):
    settings.FAL_MODE = "fal"

    html = client_alice.get(reverse("fal_keys")).content.decode()

    assert "stored keys are kept" not in html


def test_admin_sets_the_team_key_which_members_see_only_as_set(client, team, bob, join_team):
    ada = join_team("ada", "admin")
    client.force_login(ada)

    client.post(reverse("teams:key", args=[team.slug]), {"key": TEAM_KEY})
    client.force_login(bob)
    html = client.get(reverse("teams:detail", args=[team.slug])).content.decode()

    credential = FalCredential.objects.get(team=team)
    assert credential.get_key() == TEAM_KEY
    assert credential.encrypted_key != TEAM_KEY
    assert "Key set" in html
    assert TEAM_KEY not in html
    assert 'action="/teams/studio/key/"' not in html
    assert "Team admins and owners can set or replace the team's key." in html


def test_team_key_is_replaced_and_removed_by_htmx(client_alice, team):
    url = reverse("teams:key", args=[team.slug])
    client_alice.post(url, {"key": TEAM_KEY}, HTTP_HX_REQUEST="true")
    replaced = client_alice.post(url, {"key": "another-team-key-5678"}, HTTP_HX_REQUEST="true")

    removed = client_alice.post(
        reverse("teams:key_remove", args=[team.slug]), HTTP_HX_REQUEST="true"
    )

    assert "…5678" in shown(replaced.content.decode())
    assert "The team fal key was removed." in removed.content.decode()
    assert not FalCredential.objects.filter(team=team).exists()


def test_invalid_team_key_shows_the_error_on_the_team_page(client_alice, team):
    response = client_alice.post(reverse("teams:key", args=[team.slug]), {"key": "a b"})

    html = response.content.decode()
    assert response.status_code == 200
    assert "no spaces or line breaks" in html
    assert '<h1 class="page-header__title">Studio</h1>' in html


def test_no_page_ever_shows_a_stored_key(client, team, alice, bob, caplog):
    caplog.set_level(logging.DEBUG)
    client.force_login(alice)
    client.post(reverse("fal_keys"), {"key": KEY})
    client.post(reverse("teams:key", args=[team.slug]), {"key": TEAM_KEY})

    pages = [
        reverse("home"),
        reverse("fal_keys"),
        reverse("teams:list"),
        reverse("teams:detail", args=[team.slug]),
    ]
    for user in (alice, bob):
        client.force_login(user)
        for url in pages:
            response = client.get(url)
            html = response.content.decode()
            assert response.status_code == 200, url
            assert KEY not in html and TEAM_KEY not in html, url
    client.force_login(alice)
    alice_keys = client.get(reverse("fal_keys")).content.decode()
    assert "…e1f0" in shown(alice_keys)
    team_page = client.get(reverse("teams:detail", args=[team.slug])).content.decode()
    assert "…wxyz" in shown(team_page)
    assert KEY not in caplog.text and TEAM_KEY not in caplog.text


def test_admin_site_never_shows_the_encrypted_key(client, alice):
    from playground.accounts.actions import set_fal_key

    credential = set_fal_key(key=KEY, user=alice)
    User.objects.filter(pk=alice.pk).update(is_staff=True, is_superuser=True)
    client.force_login(alice)

    listing = client.get(reverse("admin:accounts_falcredential_changelist")).content.decode()
    detail = client.get(
        reverse("admin:accounts_falcredential_change", args=[credential.pk])
    ).content.decode()
    add = client.get(reverse("admin:accounts_falcredential_add"))

    for html in (listing, detail):
        assert credential.encrypted_key not in html
        assert KEY not in html
        assert "e1f0" in html
    assert 'name="encrypted_key"' not in detail
    assert add.status_code == 403


def test_team_admin_pages_load(client, team, alice, bob):
    User.objects.filter(pk=alice.pk).update(is_staff=True, is_superuser=True)
    client.force_login(alice)

    for name, args in [
        ("admin:accounts_team_changelist", []),
        ("admin:accounts_team_change", [team.pk]),
        ("admin:accounts_membership_changelist", []),
        ("admin:accounts_invitation_changelist", []),
        ("admin:accounts_invitation_add", []),
    ]:
        assert client.get(reverse(name, args=args)).status_code == 200, name
    assert Membership.objects.filter(team=team).count() == 2
