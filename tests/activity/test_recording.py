"""Every team action the issue lists leaves one entry in the team's activity log, written by
the action itself (so a forged POST is logged as a page's is), naming who did it."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from playground.accounts import actions as team_actions
from playground.accounts.models import FalCredential, Invitation, Membership, Role
from playground.activity.actions import record
from playground.activity.models import Action, Entry
from playground.gateway import tokens
from playground.gateway.models import AccessToken
from playground.jobs.models import Generation, Visibility

pytestmark = pytest.mark.django_db


def only_entry(team, action: str) -> Entry:
    found = list(Entry.objects.filter(team=team, action=action))
    assert len(found) == 1, f"{len(found)} entries for {action}"
    return found[0]


def test_a_team_run_is_logged_with_a_link_to_the_generation(as_user, team, bob):
    response = as_user(bob).post(
        "/models/fal-ai/flux/schnell/run",
        {"prompt": "a fox", "image_size:branch": "0", "__team": str(team.pk)},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 201
    generation = Generation.objects.get()
    entry = only_entry(team, Action.RUN_STARTED)
    assert entry.actor == bob and entry.actor_name == "bob"
    assert entry.target == "fal-ai/flux/schnell"
    assert entry.target_url == f"/generations/{generation.code}/"
    assert entry.details == {"generation": str(generation.code), "mode": "queue"}


def test_a_personal_run_is_not_in_any_team_log(as_user, team, bob):
    response = as_user(bob).post(
        "/models/fal-ai/flux/schnell/run",
        {"prompt": "a fox", "image_size:branch": "0"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 201
    assert not Entry.objects.filter(action=Action.RUN_STARTED).exists()


def test_creating_and_revoking_a_team_token_are_logged(as_user, team, bob):
    client = as_user(bob)
    client.post(reverse("gateway:tokens"), {"label": "ci", "team": str(team.pk), "expires": "30"})
    token = AccessToken.objects.get()
    created = only_entry(team, Action.TOKEN_CREATED)
    assert created.actor == bob
    assert created.target == f"ci …{token.last4}"
    assert created.details["label"] == "ci" and created.details["last4"] == token.last4
    assert created.details["expires"].startswith(f"{token.expires:%Y-%m-%d}")
    # Never the secret, nor its hash.
    assert token.token_hash not in str(created.details)

    client.post(reverse("gateway:token-revoke", args=[token.pk]))
    revoked = only_entry(team, Action.TOKEN_REVOKED)
    assert revoked.actor == bob and revoked.target == f"ci …{token.last4}"


def test_personal_tokens_are_not_in_any_team_log(bob, team):
    minted = tokens.mint(bob, label="mine")
    tokens.revoke(bob, minted.token.pk)
    assert not Entry.objects.exists()


def test_revoking_twice_logs_once(bob, team):
    minted = tokens.mint(bob, label="ci", team=team)
    assert tokens.revoke(bob, minted.token.pk)
    assert not tokens.revoke(bob, minted.token.pk)
    only_entry(team, Action.TOKEN_REVOKED)


def test_setting_replacing_and_removing_the_team_key_are_logged(as_user, team, ada):
    client = as_user(ada)
    key = "fal-key-0123456789abcd"
    client.post(reverse("teams:key", args=[team.slug]), {"key": key})
    client.post(reverse("teams:key", args=[team.slug]), {"key": "fal-key-0123456789wxyz"})
    client.post(reverse("teams:key_remove", args=[team.slug]))
    set_first, replaced = Entry.objects.filter(action=Action.TEAM_KEY_SET).order_by("id")
    assert set_first.actor == ada and set_first.target == "…abcd"
    assert set_first.details == {"last4": "abcd", "replaced": False}
    assert replaced.details == {"last4": "wxyz", "replaced": True}
    removed = only_entry(team, Action.TEAM_KEY_REMOVED)
    assert removed.actor == ada and removed.target == "…wxyz"
    # The key itself is in no entry.
    assert not Entry.objects.filter(details__icontains="0123456789").exists()
    assert not FalCredential.objects.exists()


def test_a_personal_key_is_not_in_any_team_log(as_user, team, ada):
    as_user(ada).post(reverse("fal_keys"), {"key": "fal-key-0123456789abcd"})
    assert FalCredential.objects.filter(user=ada).exists()
    assert not Entry.objects.exists()


def test_invitations_by_link_and_email_and_their_revocation_are_logged(as_user, team, ada):
    client = as_user(ada)
    client.post(
        reverse("teams:invite_link", args=[team.slug]), {"link-role": "member", "link-days": "7"}
    )
    client.post(
        reverse("teams:invite_email", args=[team.slug]),
        {"email-email": "erin@example.com", "email-role": "viewer", "email-days": "1"},
    )
    link, email = Entry.objects.filter(action=Action.MEMBER_INVITED).order_by("id")
    assert link.actor == ada and link.target == "an invite link"
    assert link.details["role"] == "member" and link.details["by"] == "link"
    assert email.target == "erin@example.com" and email.details["by"] == "email"
    # The invitation's token is the link itself: never logged.
    for invitation in Invitation.objects.all():
        assert invitation.token not in str(Entry.objects.values_list("details", flat=True))

    invitation = Invitation.objects.get(email="erin@example.com")
    client.post(reverse("teams:revoke_invitation", args=[team.slug, invitation.pk]))
    revoked = only_entry(team, Action.INVITATION_REVOKED)
    assert revoked.actor == ada and revoked.target == "erin@example.com"


def test_accepting_an_invitation_is_logged_as_the_new_member_joining(as_user, team, alice, charlie):
    invitation = Invitation.objects.create(team=team, role=Role.VIEWER, created_by=alice)
    as_user(charlie).post(reverse("teams:join", args=[invitation.token]))
    assert Membership.objects.filter(user=charlie, team=team).exists()
    joined = only_entry(team, Action.MEMBER_JOINED)
    assert joined.actor == charlie
    assert joined.details["role"] == "viewer" and joined.details["invited_by"] == "alice"


def test_removing_a_member_is_logged_with_their_former_role(as_user, team, ada, bob):
    member = Membership.objects.get(user=bob)
    as_user(ada).post(reverse("teams:remove_member", args=[team.slug, member.pk]))
    entry = only_entry(team, Action.MEMBER_REMOVED)
    assert entry.actor == ada and entry.target == "bob" and entry.details == {"role": "member"}


def test_leaving_is_logged(as_user, team, bob):
    as_user(bob).post(reverse("teams:leave", args=[team.slug]))
    entry = only_entry(team, Action.MEMBER_LEFT)
    assert entry.actor == bob and entry.details == {"role": "member"}


def test_a_role_change_is_logged_from_and_to(as_user, team, ada, bob):
    member = Membership.objects.get(user=bob)
    as_user(ada).post(
        reverse("teams:change_role", args=[team.slug, member.pk]), {"role": Role.VIEWER}
    )
    entry = only_entry(team, Action.ROLE_CHANGED)
    assert entry.actor == ada and entry.target == "bob"
    assert entry.details == {"from": "member", "to": "viewer"}


def test_saving_the_same_role_again_logs_nothing(team, alice, bob):
    owner = Membership.objects.get(user=alice)
    team_actions.change_role(actor=owner, target=Membership.objects.get(user=bob), role="member")
    assert not Entry.objects.filter(action=Action.ROLE_CHANGED).exists()


def test_a_refused_change_logs_nothing(team, ada, alice):
    admin = Membership.objects.get(user=ada)
    with pytest.raises(PermissionDenied):
        team_actions.change_role(
            actor=admin, target=Membership.objects.get(user=alice), role="viewer"
        )
    with pytest.raises(team_actions.TeamRuleError):
        team_actions.leave_team(membership=Membership.objects.get(user=alice))
    assert not Entry.objects.exists()


def test_publishing_and_withdrawing_the_showcase_from_the_gallery_are_logged(as_user, team, ada):
    client = as_user(ada)
    url = reverse("gallery:publish_showcase", args=[team.slug])
    client.post(url, {"public": "1"})
    client.post(url, {"public": "1"})  # already public: nothing new
    client.post(url, {"public": "0"})
    published = only_entry(team, Action.SHOWCASE_PUBLISHED)
    assert published.actor == ada and published.target_url == f"/showcase/{team.slug}/"
    withdrawn = only_entry(team, Action.SHOWCASE_WITHDRAWN)
    assert withdrawn.actor == ada and withdrawn.target_url == ""


def test_publishing_the_showcase_in_team_settings_and_renaming_are_logged(as_user, team, alice):
    as_user(alice).post(
        reverse("teams:settings", args=[team.slug]),
        {"settings-name": "Night Studio", "settings-showcase_public": "on"},
    )
    renamed = only_entry(team, Action.TEAM_RENAMED)
    assert renamed.actor == alice and renamed.details == {"from": "Studio", "to": "Night Studio"}
    only_entry(team, Action.SHOWCASE_PUBLISHED)


def test_putting_a_generation_on_the_showcase_and_off_again_is_logged(as_user, team, ada, bob):
    from playground.catalog.models import Endpoint
    from playground.jobs.actions import submit_generation

    endpoint = Endpoint.objects.get(endpoint_id="fal-ai/flux/schnell")
    generation = submit_generation(user=bob, endpoint=endpoint, input={"prompt": "x"}, team=team)
    client = as_user(ada)
    url = reverse("gallery:showcase_toggle", args=[generation.code])
    client.post(url, {"shown": "1"})
    client.post(url, {"shown": "0"})
    added = only_entry(team, Action.SHOWCASE_ADDED)
    assert added.actor == ada and added.target_url == f"/generations/{generation.code}/"
    assert Generation.objects.get().visibility == Visibility.PUBLIC
    removed = only_entry(team, Action.SHOWCASE_REMOVED)
    assert removed.actor == ada


def test_making_a_showcased_generation_private_logs_it_off_the_showcase(as_user, team, ada, bob):
    from playground.catalog.models import Endpoint
    from playground.jobs.actions import submit_generation

    endpoint = Endpoint.objects.get(endpoint_id="fal-ai/flux/schnell")
    generation = submit_generation(user=bob, endpoint=endpoint, input={"prompt": "x"}, team=team)
    client = as_user(ada)
    client.post(reverse("gallery:showcase_toggle", args=[generation.code]), {"shown": "1"})
    client.post(reverse("gallery:visibility", args=[generation.code]), {"visibility": "team"})
    assert not Generation.objects.get().in_showcase
    removed = only_entry(team, Action.SHOWCASE_REMOVED)
    assert removed.actor == ada


def test_creating_a_team_is_its_first_entry(as_user, alice):
    as_user(alice).post(reverse("teams:list"), {"name": "Lab"})
    entry = Entry.objects.get(team__slug="lab")
    assert entry.action == Action.TEAM_CREATED and entry.actor == alice


@pytest.mark.parametrize("action", [Action.BUDGET_CHANGED, Action.LIMIT_CHANGED])
def test_budgets_and_limits_record_through_the_public_function(team, alice, action):
    """What budgets and limits call: decimals and dates are stored, as strings."""
    entry = record(
        team,
        alice,
        action,
        target="Team budget",
        details={"from": Decimal("50.00"), "to": Decimal("100.00")},
    )
    entry = Entry.objects.get(pk=entry.pk)
    assert entry.action == action and entry.actor_name == "alice"
    assert entry.details == {"from": "50.00", "to": "100.00"}


def test_record_refuses_an_unknown_action(team, alice):
    with pytest.raises(ValueError, match="Unknown activity action"):
        record(team, alice, "budget.exploded")


def test_record_takes_a_team_id_and_no_actor(team):
    entry = record(team.pk, None, Action.LIMIT_CHANGED, target="x" * 500)
    assert entry.actor is None and entry.actor_name == "" and len(entry.target) == 200


class LogDown(Exception):
    pass


def test_a_change_whose_entry_cannot_be_written_is_undone(team, alice, bob, monkeypatch):
    """Same transaction: a change never happens without its entry."""

    def fail(*args, **kwargs):
        raise LogDown

    monkeypatch.setattr("playground.accounts.actions.record", fail)
    monkeypatch.setattr("playground.gateway.tokens.record", fail)
    owner, member = Membership.objects.get(user=alice), Membership.objects.get(user=bob)
    with pytest.raises(LogDown):
        team_actions.change_role(actor=owner, target=member, role=Role.ADMIN)
    with pytest.raises(LogDown):
        team_actions.set_fal_key(key="fal-key-0123456789abcd", team=team, actor=alice)
    with pytest.raises(LogDown):
        tokens.mint(bob, label="ci", team=team)
    assert Membership.objects.get(user=bob).role == Role.MEMBER
    assert not FalCredential.objects.exists()
    assert not AccessToken.objects.exists()
