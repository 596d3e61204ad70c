"""Teams from identity-provider groups (sso/groups.py): only SSO-granted memberships
follow the groups; the last owner stays; every change is in the team's activity log."""

from __future__ import annotations

import pytest

from playground.accounts.models import Membership, Role, Team
from playground.activity.describe import summary
from playground.activity.models import Action, Entry
from playground.sso.groups import sync_teams, wanted_roles
from playground.sso.models import GroupRule, SsoGrant

pytestmark = pytest.mark.django_db


@pytest.fixture
def design(db):
    return Team.objects.create(name="Design", slug="design")


@pytest.fixture
def dora(django_user_model):
    return django_user_model.objects.create_user("dora")


def role_of(user, team) -> str | None:
    found = Membership.objects.filter(user=user, team=team).first()
    return found.role if found else None


def actions(team) -> list[str]:
    return list(Entry.objects.filter(team=team).order_by("id").values_list("action", flat=True))


def test_a_matching_rule_adds_the_person_with_its_role(design, dora):
    GroupRule.objects.create(group="design-leads", team=design, role=Role.ADMIN)
    sync_teams(dora, ["design-leads", "other"], provider="okta")
    assert role_of(dora, design) == Role.ADMIN
    assert SsoGrant.objects.get(membership__user=dora).provider == "okta"
    entry = Entry.objects.get(team=design)
    assert (entry.action, entry.actor) == (Action.MEMBER_JOINED, dora)
    assert summary(entry) == "as admin, by single sign-on (okta)"


def test_the_highest_role_wins_when_several_rules_give_one_team(design, dora):
    GroupRule.objects.create(group="design", team=design, role=Role.VIEWER)
    GroupRule.objects.create(group="design-leads", team=design, role=Role.ADMIN)
    GroupRule.objects.create(group="design-all", team=design, role=Role.MEMBER)
    assert wanted_roles(["design", "design-leads", "design-all"], provider="x") == {
        design.pk: Role.ADMIN
    }


def test_a_rule_for_another_provider_does_not_apply(design, dora):
    GroupRule.objects.create(group="design-leads", provider="entra", team=design, role=Role.ADMIN)
    sync_teams(dora, ["design-leads"], provider="okta")
    assert role_of(dora, design) is None
    sync_teams(dora, ["design-leads"], provider="entra")
    assert role_of(dora, design) == Role.ADMIN


def test_roles_follow_the_groups_at_each_sign_in(design, dora):
    GroupRule.objects.create(group="design-leads", team=design, role=Role.ADMIN)
    GroupRule.objects.create(group="design", team=design, role=Role.VIEWER)
    sync_teams(dora, ["design"], provider="okta")
    sync_teams(dora, ["design", "design-leads"], provider="okta")
    assert role_of(dora, design) == Role.ADMIN
    sync_teams(dora, ["design"], provider="okta")
    assert role_of(dora, design) == Role.VIEWER
    sync_teams(dora, [], provider="okta")
    assert role_of(dora, design) is None
    assert actions(design) == [
        Action.MEMBER_JOINED, Action.ROLE_CHANGED, Action.ROLE_CHANGED, Action.MEMBER_REMOVED
    ]  # fmt: skip
    changed = Entry.objects.filter(team=design, action=Action.ROLE_CHANGED).order_by("id")[0]
    assert summary(changed) == "viewer → admin, by single sign-on (okta)"
    assert changed.target == "dora"
    removed = Entry.objects.get(team=design, action=Action.MEMBER_REMOVED)
    assert summary(removed) == "was viewer, by single sign-on (okta)"


def test_the_same_groups_again_change_nothing(design, dora):
    GroupRule.objects.create(group="design-leads", team=design, role=Role.ADMIN)
    sync_teams(dora, ["design-leads"], provider="okta")
    sync_teams(dora, ["design-leads"], provider="okta")
    assert actions(design) == [Action.MEMBER_JOINED]


def test_memberships_made_by_hand_are_never_touched(design, dora):
    Membership.objects.create(user=dora, team=design, role=Role.MEMBER)
    GroupRule.objects.create(group="design-leads", team=design, role=Role.ADMIN)
    sync_teams(dora, ["design-leads"], provider="okta")
    assert role_of(dora, design) == Role.MEMBER
    sync_teams(dora, [], provider="okta")
    assert role_of(dora, design) == Role.MEMBER
    assert actions(design) == []


def test_another_providers_grant_is_not_removed(design, dora):
    GroupRule.objects.create(group="design-leads", team=design, role=Role.ADMIN)
    sync_teams(dora, ["design-leads"], provider="entra")
    sync_teams(dora, [], provider="okta")
    assert role_of(dora, design) == Role.ADMIN


def test_the_last_owner_is_neither_removed_nor_demoted(design, dora, alice):
    GroupRule.objects.create(group="design-owners", team=design, role=Role.OWNER)
    GroupRule.objects.create(group="design", team=design, role=Role.MEMBER)
    sync_teams(dora, ["design-owners"], provider="okta")
    sync_teams(dora, ["design"], provider="okta")
    assert role_of(dora, design) == Role.OWNER
    sync_teams(dora, [], provider="okta")
    assert role_of(dora, design) == Role.OWNER
    # With another owner the team keeps one: now the groups decide.
    Membership.objects.create(user=alice, team=design, role=Role.OWNER)
    sync_teams(dora, ["design"], provider="okta")
    assert role_of(dora, design) == Role.MEMBER
    sync_teams(dora, [], provider="okta")
    assert role_of(dora, design) is None


def test_a_membership_removed_by_hand_comes_back_while_the_rule_says_so(design, dora):
    GroupRule.objects.create(group="design-leads", team=design, role=Role.ADMIN)
    sync_teams(dora, ["design-leads"], provider="okta")
    Membership.objects.get(user=dora, team=design).delete()
    assert not SsoGrant.objects.exists()
    sync_teams(dora, ["design-leads"], provider="okta")
    assert role_of(dora, design) == Role.ADMIN
