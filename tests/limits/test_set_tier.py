"""`manage.py set_tier USERNAME TIER [--limit N]`, and the admin pages staff use."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, ManagementUtility, call_command

from playground.accounts.models import Membership
from playground.gateway import tokens
from playground.limits.models import PersonTier, Tier

pytestmark = pytest.mark.django_db


def test_set_tier_sets_and_says_so(rate_limits, alice, capsys):
    call_command("set_tier", "alice", "pro")

    assert PersonTier.objects.get(user=alice).tier == Tier.PRO
    assert "alice is now Pro: 5 requests a minute." in capsys.readouterr().out


def test_set_tier_enterprise_takes_its_own_limit_and_can_be_changed(rate_limits, alice, capsys):
    call_command("set_tier", "alice", "enterprise", "--limit", "2500")
    call_command("set_tier", "alice", "signed_in")

    row = PersonTier.objects.get(user=alice)
    assert (row.tier, row.per_minute) == (Tier.SIGNED_IN, None)
    assert "2500 requests a minute" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nobody", "pro"], "No user named 'nobody'"),
        (["alice", "gold"], "Unknown tier 'gold'"),
        (["alice", "enterprise"], "needs --limit"),
        (["alice", "enterprise", "--limit", "0"], "needs --limit"),
        (["alice", "pro", "--limit", "9"], "Only the enterprise tier takes --limit"),
    ],
)
def test_set_tier_refuses_clearly(alice, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("set_tier", *args)
    assert not PersonTier.objects.exists()


def test_set_tier_exits_1_with_the_message_on_a_mistake(alice, capsys):
    with pytest.raises(SystemExit) as exited:
        ManagementUtility(["manage.py", "set_tier", "alice", "gold"]).execute()

    assert exited.value.code == 1
    assert "Unknown tier 'gold': choose one of anonymous, signed_in, pro, enterprise." in (
        capsys.readouterr().err
    )


@pytest.fixture
def staff_client(client, django_user_model):
    staff = django_user_model.objects.create_superuser("staff", "s@example.com", "pw-staff-1234")
    client.force_login(staff)
    return client


def test_staff_set_a_tier_in_the_admin(staff_client, alice):
    response = staff_client.post(
        "/admin/limits/persontier/add/", {"user": alice.pk, "tier": "enterprise", "per_minute": 900}
    )

    assert response.status_code == 302, response.content
    assert PersonTier.objects.get(user=alice).limit == 900


def test_the_admin_refuses_an_enterprise_tier_without_a_limit(staff_client, alice):
    response = staff_client.post(
        "/admin/limits/persontier/add/", {"user": alice.pk, "tier": "enterprise"}
    )

    assert response.status_code == 200
    assert "needs its own limit" in response.content.decode()
    assert not PersonTier.objects.exists()


def test_a_persons_admin_page_has_their_tier(staff_client, alice):
    response = staff_client.get(f"/admin/auth/user/{alice.pk}/change/")

    assert response.status_code == 200
    assert "rate_tier-TOTAL_FORMS" in response.content.decode()


def test_staff_set_member_and_token_overrides_in_the_admin(staff_client, alice, team):
    member = Membership.objects.get(user=alice, team=team)
    token = tokens.mint(alice, label="ci").token

    answer = staff_client.post(
        f"/admin/accounts/membership/{member.pk}/change/",
        {"user": alice.pk, "team": team.pk, "role": member.role, "rate_limit": 42},
    )
    assert answer.status_code == 302, answer.content
    answer = staff_client.post(f"/admin/gateway/accesstoken/{token.pk}/change/", {"rate_limit": 7})
    assert answer.status_code == 302, answer.content

    member.refresh_from_db()
    token.refresh_from_db()
    assert (member.rate_limit, token.rate_limit) == (42, 7)
    assert (
        "token_hash"
        not in staff_client.get(f"/admin/gateway/accesstoken/{token.pk}/change/").content.decode()
    )
