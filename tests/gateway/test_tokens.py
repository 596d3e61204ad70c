"""Personal access tokens: shown once, stored hashed, revocable, expiring, team-bound."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from playground.accounts.models import Membership, Role
from playground.gateway import tokens
from playground.gateway.models import AccessToken

pytestmark = pytest.mark.django_db


def test_only_a_hash_and_the_last_four_characters_are_stored(alice):
    minted = tokens.mint(alice, label="ci")

    stored = AccessToken.objects.get()
    assert minted.secret.startswith("pgt_") and len(minted.secret) > 40
    assert stored.token_hash == tokens.digest(minted.secret)
    assert minted.secret not in str(AccessToken.objects.values().get())
    assert stored.last4 == minted.secret[-4:]
    assert tokens.holder_of(minted.secret) == stored


def test_revoked_and_expired_tokens_are_refused(alice):
    revoked = tokens.mint(alice)
    expiring = tokens.mint(alice, expires=timezone.now() + timedelta(minutes=1))

    assert tokens.revoke(alice, revoked.token.pk)
    AccessToken.objects.filter(pk=expiring.token.pk).update(
        expires=timezone.now() - timedelta(seconds=1)
    )

    assert tokens.holder_of(revoked.secret) is None
    assert tokens.holder_of(expiring.secret) is None
    assert tokens.holder_of("pgt_" + "x" * 43) is None


def test_nobody_revokes_another_persons_token(alice, charlie):
    minted = tokens.mint(alice)

    assert not tokens.revoke(charlie, minted.token.pk)
    assert tokens.holder_of(minted.secret) is not None


def test_a_team_token_needs_the_right_to_run_for_the_team_now_and_later(alice, team, bob):
    minted = tokens.mint(bob, team=team)
    assert tokens.holder_of(minted.secret).team == team

    Membership.objects.filter(user=bob, team=team).update(role=Role.VIEWER)

    assert tokens.holder_of(minted.secret) is None
    with pytest.raises(tokens.TokenRefused):
        tokens.mint(bob, team=team)


def test_a_deactivated_person_s_tokens_stop_working(alice):
    minted = tokens.mint(alice)
    alice.is_active = False
    alice.save()

    assert tokens.holder_of(minted.secret) is None


def test_the_command_prints_the_token_alone_on_its_last_line(alice, team):
    out, err = StringIO(), StringIO()

    call_command("create_access_token", "alice", "--label", "cron", "--team", team.slug,
                 stdout=out, stderr=err)  # fmt: skip

    secret = out.getvalue().strip().splitlines()[-1]
    assert tokens.holder_of(secret).label == "cron"
    assert tokens.holder_of(secret).team == team
    assert secret not in err.getvalue()


@pytest.mark.parametrize(
    ("args", "message"),
    [(["nobody"], "No user"), (["alice", "--team", "nope"], "No team"),
     (["alice", "--days", "0"], "--days")],
)  # fmt: skip
def test_the_command_explains_bad_arguments(alice, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("create_access_token", *args, stdout=StringIO(), stderr=StringIO())


def test_the_settings_page_shows_a_new_token_once(client_alice):
    created = client_alice.post("/accounts/tokens/", {"label": "staging app", "expires": "30"})
    shown = client_alice.get("/accounts/tokens/")
    again = client_alice.get("/accounts/tokens/")

    token = AccessToken.objects.get()
    secret_shown = shown.context["new_secret"]
    assert created.status_code == 302  # a reload of the next page makes no second token
    assert tokens.holder_of(secret_shown) == token
    assert secret_shown in shown.content.decode()
    assert secret_shown not in again.content.decode()
    assert f"…{token.last4}" in again.content.decode()
    assert "staging app" in again.content.decode()
    assert token.expires > timezone.now() + timedelta(days=29)


def test_revoking_from_the_page(client_alice, alice, charlie):
    mine = tokens.mint(alice)
    theirs = tokens.mint(charlie)

    response = client_alice.post(f"/accounts/tokens/{mine.token.pk}/revoke", follow=True)
    other = client_alice.post(f"/accounts/tokens/{theirs.token.pk}/revoke")

    assert "Revoked" in response.content.decode()
    assert tokens.holder_of(mine.secret) is None
    assert other.status_code == 404
    assert tokens.holder_of(theirs.secret) is not None


def test_the_page_offers_only_teams_the_person_may_run_for(client, bob, team, django_user_model):
    from playground.accounts.models import Team

    other = Team.objects.create(name="Elsewhere", slug="elsewhere")
    Membership.objects.create(user=bob, team=other, role=Role.VIEWER)
    client.force_login(bob)

    page = client.get("/accounts/tokens/").content.decode()

    assert team.name in page
    assert "Elsewhere" not in page


def test_a_token_seen_recently_is_trusted_for_a_few_seconds_but_revoking_it_counts_at_once(
    alice, settings, django_assert_num_queries
):
    settings.GATEWAY_CACHE_SECONDS = 60
    minted = tokens.mint(alice)
    tokens.holder_of(minted.secret)

    with django_assert_num_queries(0):
        assert tokens.holder_of(minted.secret) == minted.token
    tokens.revoke(alice, minted.token.pk)

    assert tokens.holder_of(minted.secret) is None
