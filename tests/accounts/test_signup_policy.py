"""Who may sign up (settings.SIGNUP): open, by invitation, closed; the first account of an
install always; invitations without a team from staff; emailed invitations bind to their
address."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import get_user
from django.contrib.auth.models import User
from django.urls import reverse

from playground.accounts.models import Invitation, Membership
from tests.accounts.conftest import PASSWORD, signup_data

pytestmark = pytest.mark.django_db


def join_url(invitation: Invitation) -> str:
    return reverse("teams:join", args=[invitation.token])


def sign_up(client, next_url: str = "", **fields: str):
    data = signup_data(**fields)
    if next_url:
        data["next"] = next_url
    return client.post(reverse("signup"), data)


def setting_in_a_fresh_process(name: str, **env: str) -> str:
    clean = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "SIGNUP")}
    code = f"from django.conf import settings; print(settings.{name})"
    result = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        env={**clean, "DJANGO_SETTINGS_MODULE": "playground.settings", **env},
        capture_output=True,
        text=True,
        cwd=django_settings.BASE_DIR,
        check=False,
    )
    return (result.stdout.strip().splitlines() or [""])[-1] or result.stderr


@pytest.mark.parametrize(
    ("env", "expected"),
    [({"DEBUG": "0"}, "invite"), ({"DEBUG": "1"}, "open"), ({"SIGNUP": "closed"}, "closed")],
)
def test_signup_defaults_to_invite_without_debug(env, expected):
    assert setting_in_a_fresh_process("SIGNUP", **env) == expected


def test_a_junk_signup_value_stops_the_server():
    assert "SIGNUP must be one of open, invite, closed" in setting_in_a_fresh_process(
        "SIGNUP", SIGNUP="maybe"
    )


# -- the first account --------------------------------------------------------------------
@pytest.mark.parametrize("mode", ["invite", "closed"])
def test_the_first_sign_up_of_an_install_is_let_in_as_its_administrator(client, settings, mode):
    settings.SIGNUP = mode

    page = client.get(reverse("signup")).content.decode()
    response = sign_up(client)

    assert "Create the first account" in page
    assert response.status_code == 302
    user = User.objects.get(username="dora")
    assert user.is_staff and user.is_superuser
    assert get_user(client) == user


def test_the_second_sign_up_is_an_ordinary_account(client, settings, alice):
    settings.SIGNUP = "open"

    sign_up(client)

    user = User.objects.get(username="dora")
    assert not user.is_staff and not user.is_superuser


# -- by invitation ------------------------------------------------------------------------
def test_without_an_invitation_the_page_says_sign_up_is_by_invitation(client, settings, alice):
    settings.SIGNUP = "invite"

    response = client.get(reverse("signup"))

    html = response.content.decode()
    assert response.status_code == 200
    assert "Sign-up is by invitation" in html
    assert 'name="password1"' not in html


def test_a_sign_up_post_without_an_invitation_is_refused(client, settings, alice):
    settings.SIGNUP = "invite"

    response = sign_up(client)

    assert response.status_code == 403
    assert "Sign-up is by invitation" in response.content.decode()
    assert not User.objects.filter(username="dora").exists()


def test_a_next_url_that_is_not_an_invitation_does_not_open_sign_up(client, settings, alice):
    settings.SIGNUP = "invite"

    response = sign_up(client, next_url="/teams/join/not-a-real-token/")

    assert response.status_code == 403
    assert not User.objects.filter(username="dora").exists()


def test_an_expired_invitation_is_refused_and_says_why(client, settings, team):
    from datetime import timedelta

    from django.utils import timezone

    settings.SIGNUP = "invite"
    invitation = Invitation.objects.create(team=team, expires=timezone.now() - timedelta(1))

    response = sign_up(client, join_url(invitation))

    assert response.status_code == 403
    assert "This invitation has expired." in response.content.decode()
    assert not User.objects.filter(username="dora").exists()


def test_closed_sign_up_refuses_even_an_invitation(client, settings, team):
    settings.SIGNUP = "closed"
    invitation = Invitation.objects.create(team=team)

    page = client.get(f"{reverse('signup')}?next={join_url(invitation)}")
    response = sign_up(client, join_url(invitation))

    assert "Sign-up is closed" in page.content.decode()
    assert response.status_code == 403
    assert not User.objects.filter(username="dora").exists()


def test_open_sign_up_needs_no_invitation(client, settings, alice):
    settings.SIGNUP = "open"

    assert sign_up(client).status_code == 302
    assert User.objects.filter(username="dora").exists()


@pytest.mark.parametrize(
    ("mode", "link"),
    [("open", "Sign up"), ("invite", "Sign-up by invitation"), ("closed", None)],
)
def test_the_header_says_what_applies(client, settings, alice, mode, link):
    settings.SIGNUP = mode

    html = client.get(reverse("home")).content.decode()

    links = re.findall(rf'<a class="btn[^"]*" href="{reverse("signup")}">([^<]+)</a>', html)
    assert links[:1] == ([link] if link else [])


def test_before_the_first_account_the_header_offers_a_plain_sign_up(client, settings):
    settings.SIGNUP = "invite"

    html = client.get(reverse("home")).content.decode()

    assert f'<a class="btn btn--primary" href="{reverse("signup")}">Sign up</a>' in html


# -- emailed invitations bind to their address -----------------------------------------------
def test_signing_up_from_an_emailed_invite_needs_its_address(client, settings, team):
    settings.SIGNUP = "invite"
    invitation = Invitation.objects.create(team=team, email="Dora@Example.com")

    page = client.get(f"{reverse('signup')}?next={join_url(invitation)}").content.decode()
    wrong = sign_up(client, join_url(invitation), email="mallory@example.com")

    assert 'value="Dora@Example.com"' in page  # filled in for them
    assert wrong.status_code == 200
    assert "Use the address this invitation was sent to" in wrong.content.decode()
    assert not User.objects.filter(username="dora").exists()


def test_the_invited_address_in_any_case_signs_up_and_uses_the_invite(client, settings, team):
    settings.SIGNUP = "invite"
    invitation = Invitation.objects.create(team=team, email="Dora@Example.com")

    response = sign_up(client, join_url(invitation), email="dora@example.COM")
    client.logout()
    again = sign_up(client, join_url(invitation), username="dora2", email="dora@example.com")

    assert response.status_code == 302
    assert Membership.objects.filter(user__username="dora", team=team).exists()
    invitation.refresh_from_db()
    assert invitation.accepted_by.username == "dora"
    # Used once: it opens no second account.
    assert again.status_code == 403
    assert not User.objects.filter(username="dora2").exists()


def test_an_account_with_another_address_cannot_accept_an_emailed_invite(client, team, charlie):
    invitation = Invitation.objects.create(team=team, email="erin@example.com")
    client.force_login(charlie)

    page = client.get(join_url(invitation))
    accept = client.post(join_url(invitation))

    assert (page.status_code, accept.status_code) == (403, 403)
    assert "sent to another email address" in page.content.decode()
    assert not team.memberships.filter(user=charlie).exists()
    invitation.refresh_from_db()
    assert invitation.accepted_at is None


def test_the_invited_address_in_another_case_accepts(client, team, charlie):
    charlie.email = "Charlie@Example.com"
    charlie.save()
    invitation = Invitation.objects.create(team=team, email="charlie@example.com")
    client.force_login(charlie)

    assert client.post(join_url(invitation)).status_code == 302
    assert team.memberships.filter(user=charlie).exists()


# -- staff invite people without a team ------------------------------------------------------
@pytest.fixture
def staff(django_user_model):
    return django_user_model.objects.create_user("sam", "sam@example.com", PASSWORD, is_staff=True)


def test_staff_invite_someone_by_email_without_a_team(client, staff, mailoutbox):
    client.force_login(staff)

    response = client.post(
        reverse("account_invitations"), {"email": "erin@example.com", "days": "7"}, follow=True
    )

    invitation = Invitation.objects.get()
    assert invitation.team is None and invitation.email == "erin@example.com"
    assert mailoutbox[0].subject == "sam invited you to Playground"
    assert f"http://testserver{join_url(invitation)}" in mailoutbox[0].body
    assert "Invitation sent to erin@example.com." in response.content.decode()


def test_staff_make_an_invite_link_and_revoke_it(client, staff):
    client.force_login(staff)

    client.post(reverse("account_invitations"), {"email": "", "days": "1"})
    invitation = Invitation.objects.get()
    page = client.get(reverse("account_invitations")).content.decode()
    client.post(reverse("revoke_account_invitation", args=[invitation.pk]))

    assert f'value="http://testserver{join_url(invitation)}"' in page
    invitation.refresh_from_db()
    assert invitation.revoked


@pytest.mark.parametrize("who", ["anonymous", "member"])
def test_only_staff_reach_the_invite_page(client, alice, who):
    if who == "member":
        client.force_login(alice)

    page = client.get(reverse("account_invitations"))
    forged = client.post(reverse("account_invitations"), {"email": "", "days": "7"})

    assert page.status_code in (302, 404)
    assert forged.status_code in (302, 404)
    if who == "member":
        assert (page.status_code, forged.status_code) == (404, 404)
    assert not Invitation.objects.exists()


def test_an_account_invitation_leads_a_visitor_to_sign_up(client, settings, staff):
    settings.SIGNUP = "invite"
    invitation = Invitation.objects.create(team=None, created_by=staff)

    opened = client.get(join_url(invitation))
    page = client.get(opened.url).content.decode()
    response = sign_up(client, join_url(invitation))

    assert opened.url == f"{reverse('signup')}?next={join_url(invitation)}"
    assert "sam invited you to Playground." in page
    assert response.status_code == 302 and response.url == reverse("home")
    assert User.objects.filter(username="dora", is_staff=False).exists()


def test_an_account_invitation_opened_when_signed_in_has_nothing_to_accept(client, staff, alice):
    invitation = Invitation.objects.create(team=None, created_by=staff)
    client.force_login(alice)

    page = client.get(join_url(invitation))

    assert page.status_code == 200
    assert "You already have an account" in page.content.decode()
    assert client.post(join_url(invitation)).url == reverse("home")


def test_staff_see_invite_someone_in_their_menu(client, staff, alice):
    client.force_login(staff)
    assert "Invite someone" in client.get(reverse("home")).content.decode()
    client.force_login(alice)
    assert "Invite someone" not in client.get(reverse("home")).content.decode()
