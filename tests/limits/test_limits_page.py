"""The team's "Limits and budgets" page: every member reads it, owners and admins change the
team's, members' and tokens' budgets and rate limits (each change in the activity log),
outsiders get 404; the usage page shows a budget when there is one."""

from __future__ import annotations

from decimal import Decimal
from html import unescape

import pytest
from django.urls import reverse

from playground.accounts.models import Membership, Role
from playground.activity.models import Action, Entry
from playground.gateway import tokens
from playground.gateway.requestlog import create_row
from playground.lib.memo import forget_everything
from playground.limits.models import PersonBudget
from playground.limits.quotas import quota_for

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_memory():
    forget_everything()
    yield
    forget_everything()


@pytest.fixture
def ci_token(alice, team):
    return tokens.mint(alice, label="ci", team=team).token


def spend(user, dollars: str, *, team=None, token=None) -> None:
    create_row(
        user_id=user.pk, team_id=team.pk if team else None, token=token, entrance="proxy",
        kind="run", endpoint_id="fal-ai/flux/schnell", method="POST", status=200,
        cost=Decimal(dollars),
    )  # fmt: skip


def page(client, team) -> str:
    return unescape(client.get(reverse("teams:limits", args=[team.slug])).content.decode())


def urls(team, bob, token) -> dict[str, tuple[str, dict]]:
    member = Membership.objects.get(user=bob, team=team)
    return {
        "team": (reverse("teams:limits_team", args=[team.slug]), {"team-budget": "50"}),
        "member": (
            reverse("teams:limits_member", args=[team.slug, member.pk]),
            {f"member-{member.pk}-budget": "5", f"member-{member.pk}-rate_limit": "7"},
        ),
        "token": (
            reverse("teams:limits_token", args=[team.slug, token.pk]),
            {f"token-{token.pk}-budget": "3.5", f"token-{token.pk}-rate_limit": ""},
        ),
    }


# Who may do what.


@pytest.mark.parametrize(
    ("role", "reads", "writes"),
    [
        (Role.OWNER, 200, 302),
        (Role.ADMIN, 200, 302),
        (Role.MEMBER, 200, 403),
        (Role.VIEWER, 200, 403),
        (None, 404, 404),  # an outsider
    ],
)
@pytest.mark.parametrize("form", ["team", "member", "token"])
def test_owners_and_admins_edit_members_read_outsiders_get_404(
    client, team, alice, bob, charlie, ci_token, role, reads, writes, form
):
    visitor = charlie
    if role is not None:
        visitor = alice if role == Role.OWNER else bob
        Membership.objects.filter(user=visitor, team=team).update(role=role)
    client.force_login(visitor)
    url, data = urls(team, bob, ci_token)[form]

    assert client.get(reverse("teams:limits", args=[team.slug])).status_code == reads
    assert client.post(url, data).status_code == writes


def test_anonymous_visitors_are_sent_to_log_in(client, team):
    url = reverse("teams:limits", args=[team.slug])

    answer = client.get(url)

    assert answer.status_code == 302 and answer.url == f"{reverse('login')}?next={url}"


def test_a_member_reads_the_page_without_forms(client, bob, team):
    team.monthly_budget = Decimal("40")
    team.save()
    client.force_login(bob)

    html = page(client, team)

    assert "$0.00 of $40.00 (0 %)" in html
    assert "Only the team's owners and admins change them." in html
    assert '<form class="form' not in html and "Save the team's budget" not in html


def test_another_teams_member_and_token_are_404(client_alice, team, charlie):
    from playground.accounts.models import Team

    elsewhere = Team.objects.create(name="Elsewhere", slug="elsewhere")
    stranger = Membership.objects.create(user=charlie, team=elsewhere, role=Role.MEMBER)
    their_token = tokens.mint(charlie, label="theirs", team=elsewhere).token

    member = reverse("teams:limits_member", args=[team.slug, stranger.pk])
    token = reverse("teams:limits_token", args=[team.slug, their_token.pk])

    assert client_alice.post(member, {}).status_code == 404
    assert client_alice.post(token, {}).status_code == 404


def test_the_team_page_links_to_limits_and_budgets(client, bob, team):
    client.force_login(bob)

    html = client.get(reverse("teams:detail", args=[team.slug])).content.decode()

    assert reverse("teams:limits", args=[team.slug]) in html


# What the page changes.


def test_an_owner_sets_the_teams_budget_and_it_is_in_the_activity_log(client_alice, alice, team):
    url = reverse("teams:limits_team", args=[team.slug])

    answer = client_alice.post(url, {"team-budget": "50"})

    team.refresh_from_db()
    assert answer.status_code == 302 and answer.url.endswith("#team-budget")
    assert team.monthly_budget == Decimal("50")
    entry = Entry.objects.get(team=team)
    assert (entry.action, entry.actor, entry.target) == (Action.BUDGET_CHANGED, alice, "the team")
    assert entry.details == {"from": None, "to": "50.00", "per": "month"}


def test_an_admin_sets_a_members_budget_and_rate_limit(client, alice, bob, team, ci_token):
    Membership.objects.filter(user=alice, team=team).update(role=Role.ADMIN)
    client.force_login(alice)
    url, data = urls(team, bob, ci_token)["member"]

    client.post(url, data)

    member = Membership.objects.get(user=bob, team=team)
    assert (member.monthly_budget, member.rate_limit) == (Decimal("5"), 7)
    entries = Entry.objects.filter(team=team).exclude(action=Action.TOKEN_CREATED).order_by("pk")
    assert [(e.action, e.target, e.details["to"]) for e in entries] == [
        (Action.BUDGET_CHANGED, "bob", "5.00"), (Action.LIMIT_CHANGED, "bob", 7),
    ]  # fmt: skip


def test_a_members_new_rate_limit_counts_at_once(rate_limits, client_alice, bob, team, ci_token):
    url, data = urls(team, bob, ci_token)["member"]
    assert quota_for(bob.pk, team_id=team.pk).per_minute == 2  # remembered

    client_alice.post(url, data)

    assert quota_for(bob.pk, team_id=team.pk).per_minute == 7


def test_a_tokens_budget_and_rate_limit_are_set_and_cleared(client_alice, team, bob, ci_token):
    url, data = urls(team, bob, ci_token)["token"]
    ci_token.rate_limit = 9
    ci_token.save()

    client_alice.post(url, data)

    ci_token.refresh_from_db()
    assert (ci_token.monthly_budget, ci_token.rate_limit) == (Decimal("3.5"), None)
    entries = Entry.objects.filter(team=team).exclude(action=Action.TOKEN_CREATED).order_by("pk")
    assert [(e.action, e.details["from"], e.details["to"]) for e in entries] == [
        (Action.BUDGET_CHANGED, None, "3.50"), (Action.LIMIT_CHANGED, 9, None),
    ]  # fmt: skip


def test_saving_the_same_values_again_records_nothing(client_alice, team, bob, ci_token):
    url, data = urls(team, bob, ci_token)["member"]
    client_alice.post(url, data)

    client_alice.post(url, data)

    assert (
        Entry.objects.filter(action__in=[Action.BUDGET_CHANGED, Action.LIMIT_CHANGED]).count() == 2
    )


@pytest.mark.parametrize(
    ("value", "error"),
    [
        ("-1", "greater than or equal to 0"),
        ("lots", "Enter a number."),
        ("1.999", "no more than 2 decimal places"),
        ("1000000000", "less than or equal to 99999999.99"),
    ],
)
def test_a_bad_budget_is_shown_by_its_field_and_nothing_changes(client_alice, team, value, error):
    answer = client_alice.post(
        reverse("teams:limits_team", args=[team.slug]), {"team-budget": value}
    )

    assert answer.status_code == 422
    html = answer.content.decode()
    assert "field--invalid" in html and error in html
    team.refresh_from_db()
    assert team.monthly_budget is None and not Entry.objects.exists()


def test_a_bad_rate_limit_is_shown_by_its_field(client_alice, team, bob, ci_token):
    member = Membership.objects.get(user=bob, team=team)
    answer = client_alice.post(
        reverse("teams:limits_member", args=[team.slug, member.pk]),
        {f"member-{member.pk}-budget": "", f"member-{member.pk}-rate_limit": "0"},
    )

    assert answer.status_code == 422
    assert "greater than or equal to 1" in answer.content.decode()
    member.refresh_from_db()
    assert member.rate_limit is None


# Spend against each budget.


def test_the_page_shows_this_months_spend_against_each_budget(
    client_alice, alice, bob, team, ci_token
):
    team.monthly_budget = Decimal("20")
    team.save()
    Membership.objects.filter(user=bob, team=team).update(monthly_budget=Decimal("4"))
    ci_token.monthly_budget = Decimal("10")
    ci_token.save()
    spend(bob, "3", team=team)
    spend(alice, "2", team=team, token=ci_token)
    spend(alice, "99")  # her own: not the team's

    html = page(client_alice, team)

    assert "$5.00 of $20.00 (25 %)" in html  # the team
    assert "$3.00 of $4.00 (75 %)" in html  # bob
    assert "$2.00 of $10.00 (20 %)" in html  # the token
    assert "$2.00 this month · no budget" in html  # alice, with none
    assert html.count("<meter") == 3


def test_the_usage_page_shows_a_budget_when_one_is_set(client_alice, alice, bob, team):
    assert "This month's budget" not in page_of_usage(client_alice)
    PersonBudget.objects.create(user=alice, monthly_budget=Decimal("8"))
    Membership.objects.filter(user=alice, team=team).update(monthly_budget=Decimal("10"))
    team.monthly_budget = Decimal("30")
    team.save()
    spend(alice, "2")
    spend(bob, "6", team=team)

    mine = page_of_usage(client_alice)
    teams = page_of_usage(client_alice, "?team=studio")

    assert "Your monthly budget" in mine and "$2.00 of $8.00 (25 %)" in mine
    assert "Your monthly budget in Studio" in mine and "$0.00 of $10.00 (0 %)" in mine
    assert "Studio's monthly budget" in teams and "$6.00 of $30.00 (20 %)" in teams


def page_of_usage(client, query: str = "") -> str:
    return unescape(client.get(reverse("usage:page") + query).content.decode())


def test_a_changed_budget_does_not_make_the_members_open_pages_check_access(
    client_alice, team, bob, ci_token, django_capture_on_commit_callbacks
):
    url, data = urls(team, bob, ci_token)["member"]

    with django_capture_on_commit_callbacks() as callbacks:
        client_alice.post(url, data)

    assert Membership.objects.get(user=bob).rate_limit == 7
    assert callbacks == []  # accounts/live.py: access.changed is for roles and removals
