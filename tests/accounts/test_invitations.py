"""Invitations: links anyone signed in may use until they expire, emailed invites that work
once, revocation, and the way in for people who are not signed in yet."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from playground.accounts.models import Invitation, Membership
from tests.accounts.conftest import signup_data

pytestmark = pytest.mark.django_db


def join_url(invitation: Invitation) -> str:
    return reverse("teams:join", args=[invitation.token])


def test_admin_creates_an_invite_link_shown_with_a_copy_button(client_alice, team):
    response = client_alice.post(
        reverse("teams:invite_link", args=[team.slug]),
        {"link-role": "viewer", "link-days": "1"},
        follow=True,
    )

    invitation = Invitation.objects.get()
    assert (invitation.role, invitation.email, invitation.created_by.username) == (
        "viewer",
        "",
        "alice",
    )
    assert timedelta(hours=23) < invitation.expires - timezone.now() <= timedelta(days=1)
    html = response.content.decode()
    assert f'value="http://testserver{join_url(invitation)}"' in html
    assert f'data-copy-target="#invite-url-{invitation.pk}"' in html


def test_invite_link_by_htmx_answers_the_invitations_section(client_alice, team):
    response = client_alice.post(
        reverse("teams:invite_link", args=[team.slug]),
        {"link-role": "member", "link-days": "7"},
        HTTP_HX_REQUEST="true",
    )

    html = response.content.decode()
    assert html.lstrip().startswith('<section class="card team-section" id="invitations"')
    assert "Invite link created." in html
    assert "invite--fresh" in html


def test_admin_cannot_invite_an_owner(client, team, join_team):
    client.force_login(join_team("ada", "admin"))

    response = client.post(
        reverse("teams:invite_link", args=[team.slug]), {"link-role": "owner", "link-days": "7"}
    )

    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not Invitation.objects.exists()


def test_invite_by_email_sends_the_link(client_alice, team, mailoutbox):
    response = client_alice.post(
        reverse("teams:invite_email", args=[team.slug]),
        {"email-email": "erin@example.com", "email-role": "member", "email-days": "30"},
    )

    assert response.status_code == 302
    invitation = Invitation.objects.get(email="erin@example.com")
    (mail,) = mailoutbox
    assert mail.to == ["erin@example.com"]
    assert mail.subject == "alice invited you to Studio on Playground"
    assert f"http://testserver{join_url(invitation)}" in mail.body


def test_invite_by_email_uses_the_public_base_url(client_alice, team, mailoutbox, settings):
    settings.PUBLIC_BASE_URL = "https://play.example.com"

    client_alice.post(
        reverse("teams:invite_email", args=[team.slug]),
        {"email-email": "erin@example.com", "email-role": "member", "email-days": "7"},
    )

    assert "https://play.example.com/teams/join/" in mailoutbox[0].body


def test_invalid_email_is_explained_and_sends_nothing(client_alice, team, mailoutbox):
    response = client_alice.post(
        reverse("teams:invite_email", args=[team.slug]),
        {"email-email": "not-an-email", "email-role": "member", "email-days": "7"},
    )

    assert response.status_code == 200
    assert 'id="id_email-email_error"' in response.content.decode()
    assert mailoutbox == []


def test_join_page_offers_anonymous_visitors_an_account_and_keeps_the_way_back(client, team):
    invitation = Invitation.objects.create(team=team)
    url = join_url(invitation)

    response = client.get(url)

    assert response.status_code == 302
    assert response.url == f"{reverse('signup')}?next={url}"
    signup_page = client.get(response.url).content.decode()
    assert "You are invited to join <strong>Studio</strong>" in signup_page
    assert f'href="{reverse("login")}?next={url}"' in signup_page  # "Already have an account?"


def test_an_invitation_emailed_to_an_existing_account_asks_to_log_in(client, team, alice):
    alice.email = "Alice@example.com"
    alice.save(update_fields=["email"])
    invitation = Invitation.objects.create(team=team, email="alice@example.com")

    response = client.get(join_url(invitation))

    assert response.url == f"{reverse('login')}?next={join_url(invitation)}"


def test_an_unknown_invite_token_signed_out_asks_to_log_in(client):
    response = client.get(reverse("teams:join", args=["nope"]))
    assert response.url.startswith(reverse("login"))


def test_signing_up_from_an_invite_joins_the_team_and_opens_it(client, team):
    invitation = Invitation.objects.create(team=team, role="viewer")
    url = join_url(invitation)

    page = client.get(f"{reverse('signup')}?next={url}").content.decode()
    response = client.post(reverse("signup"), {**signup_data(), "next": url}, follow=True)

    assert f'name="next" value="{url}"' in page
    assert "You are invited to join <strong>Studio</strong>" in page
    assert response.redirect_chain == [(reverse("teams:detail", args=[team.slug]), 302)]
    assert "You joined “Studio” as viewer." in response.content.decode()
    assert Membership.objects.get(user__username="dora", team=team).role == "viewer"


def test_signup_ignores_a_next_url_on_another_host(client):
    response = client.post(reverse("signup"), {**signup_data(), "next": "https://evil.example/"})

    assert response.url == reverse("home")


def test_join_page_shows_team_and_role_then_accepting_joins(client, team, charlie):
    invitation = Invitation.objects.create(team=team, role="viewer", created_by=team.members.get())
    client.force_login(charlie)

    page = client.get(join_url(invitation)).content.decode()
    response = client.post(join_url(invitation), follow=True)

    assert "Join Studio" in page
    assert re.search(r"alice invited you\s+to join <strong>Studio</strong> as <strong>viewer", page)
    assert response.redirect_chain[-1][0] == reverse("teams:detail", args=[team.slug])
    assert "Welcome to “Studio”! You joined as viewer." in response.content.decode()
    assert Membership.objects.get(user=charlie, team=team).role == "viewer"


def test_an_invite_link_serves_several_people(client, team, django_user_model):
    invitation = Invitation.objects.create(team=team)
    for name in ("dora", "erin"):
        client.force_login(django_user_model.objects.create_user(name))
        assert client.post(join_url(invitation)).status_code == 302

    assert team.memberships.count() == 3


def test_an_emailed_invite_works_once(client, team, charlie, django_user_model):
    invitation = Invitation.objects.create(team=team, email="charlie@example.com")
    charlie.email = "charlie@example.com"
    charlie.save()
    client.force_login(charlie)
    client.post(join_url(invitation))
    client.force_login(django_user_model.objects.create_user("dora", "charlie@example.com"))

    page = client.get(join_url(invitation))
    accept = client.post(join_url(invitation))

    invitation.refresh_from_db()
    assert invitation.accepted_by == charlie
    assert (page.status_code, accept.status_code) == (410, 410)
    assert "This invitation was already used." in page.content.decode()
    assert not team.memberships.filter(user__username="dora").exists()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"expires": timezone.now() - timedelta(minutes=1)}, "This invitation has expired."),
        ({"revoked": True}, "This invitation was revoked by the team."),
    ],
)
def test_expired_or_revoked_invites_are_gone(client, team, charlie, change, message):
    invitation = Invitation.objects.create(team=team, **change)
    client.force_login(charlie)

    page = client.get(join_url(invitation))
    accept = client.post(join_url(invitation))

    assert (page.status_code, accept.status_code) == (410, 410)
    assert message in page.content.decode()
    assert not team.memberships.filter(user=charlie).exists()


def test_unknown_token_is_404(client, charlie):
    client.force_login(charlie)

    response = client.get(reverse("teams:join", args=["nope"]))

    assert response.status_code == 404
    assert "This invitation link isn't valid" in response.content.decode()


def test_members_opening_an_invite_are_told_they_are_in(client, team, bob):
    invitation = Invitation.objects.create(team=team, role="admin")
    client.force_login(bob)

    page = client.get(join_url(invitation))
    accept = client.post(join_url(invitation))

    assert page.status_code == 200
    assert "You are already in Studio" in page.content.decode()
    assert accept.status_code == 302
    # Accepting never changes the role someone already has.
    assert Membership.objects.get(user=bob).role == "member"


def test_revoking_stops_the_link_at_once(client_alice, client, team, charlie):
    invitation = Invitation.objects.create(team=team)

    response = client_alice.post(
        reverse("teams:revoke_invitation", args=[team.slug, invitation.pk]),
        HTTP_HX_REQUEST="true",
    )

    invitation.refresh_from_db()
    assert invitation.revoked
    html = response.content.decode()
    assert "Invitation revoked" in html
    assert "No pending invitations." in html


def test_pending_list_leaves_out_used_expired_and_revoked_invites(client_alice, team, charlie):
    live = Invitation.objects.create(team=team)
    Invitation.objects.create(team=team, revoked=True)
    Invitation.objects.create(team=team, expires=timezone.now() - timedelta(seconds=1))
    Invitation.objects.create(
        team=team, email="c@example.com", accepted_by=charlie, accepted_at=timezone.now()
    )

    html = client_alice.get(reverse("teams:detail", args=[team.slug])).content.decode()

    assert html.count('<li class="invite') == 1
    assert live.token in html


def test_revoking_another_teams_invitation_is_404(client_alice, team, charlie):
    from playground.accounts.actions import create_team

    other = create_team(user=charlie, name="Other")
    theirs = Invitation.objects.create(team=other)

    response = client_alice.post(reverse("teams:revoke_invitation", args=[team.slug, theirs.pk]))

    assert response.status_code == 404
    theirs.refresh_from_db()
    assert not theirs.revoked
