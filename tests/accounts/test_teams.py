"""Creating teams, listing them, and the rules for roles: nobody hands out more than they
hold, only owners touch owners, and a team always keeps an owner."""

from __future__ import annotations

import pytest
from django.urls import reverse

from playground.accounts.actions import create_team
from playground.accounts.models import Membership, Team

pytestmark = pytest.mark.django_db


def role_of(user, team) -> str | None:
    return Membership.objects.filter(user=user, team=team).values_list("role", flat=True).first()


def test_creating_a_team_makes_a_slug_and_the_creator_its_owner(client_alice, alice):
    response = client_alice.post(reverse("teams:list"), {"name": "  Design Studio  "})

    team = Team.objects.get()
    assert (team.name, team.slug) == ("Design Studio", "design-studio")
    assert response.url == reverse("teams:detail", args=["design-studio"])
    assert role_of(alice, team) == "owner"
    page = client_alice.get(response.url).content.decode()
    assert "Team “Design Studio” created." in page


def test_slugs_stay_unique_and_avoid_reserved_paths(alice):
    first = create_team(user=alice, name="Studio")
    second = create_team(user=alice, name="studio!")
    joined = create_team(user=alice, name="Join")
    unnamed = create_team(user=alice, name="???")

    assert [first.slug, second.slug, joined.slug, unnamed.slug] == [
        "studio",
        "studio-2",
        "join-team",
        "team",
    ]


def test_blank_team_name_is_explained_next_to_the_field(client_alice):
    response = client_alice.post(reverse("teams:list"), {"name": "   "})

    assert response.status_code == 200
    assert 'id="id_name_error"' in response.content.decode()
    assert not Team.objects.exists()


def test_no_teams_shows_an_empty_state_that_explains_teams(client_alice):
    html = client_alice.get(reverse("teams:list")).content.decode()

    assert "You are not in a team yet" in html
    assert "Open the invite" in html


def test_team_list_shows_role_and_member_count(client, team, bob, join_team):
    join_team("vic", "viewer")
    client.force_login(bob)

    html = client.get(reverse("teams:list")).content.decode()

    assert "Studio" in html
    assert "3 members" in html
    assert "role--member" in html


def test_team_list_queries_do_not_grow_with_teams(
    client_alice, alice, django_user_model, django_assert_max_num_queries
):
    for n in range(8):
        team = create_team(user=alice, name=f"Team {n}")
        helper = django_user_model.objects.create_user(f"helper{n}")
        Membership.objects.create(user=helper, team=team, role="viewer")

    with django_assert_max_num_queries(4):
        response = client_alice.get(reverse("teams:list"))

    assert response.content.decode().count("2 members") == 8


def test_team_page_queries_do_not_grow_with_members(
    client_alice, team, join_team, django_assert_max_num_queries
):
    for n in range(10):
        join_team(f"user{n}", "member")

    with django_assert_max_num_queries(9):
        response = client_alice.get(reverse("teams:detail", args=[team.slug]))

    assert response.status_code == 200


def test_team_page_links_to_the_team_gallery(client, team, bob):
    client.force_login(bob)

    html = client.get(reverse("teams:detail", args=[team.slug])).content.decode()

    assert 'href="/teams/studio/gallery/"' in html


def test_team_page_lists_members_with_their_roles(client, team, bob):
    client.force_login(bob)

    html = client.get(reverse("teams:detail", args=[team.slug])).content.decode()

    assert "alice" in html
    assert 'bob</strong> <span class="muted small">(you)' in html
    # A member manages nobody: no role pickers, no invitations, no settings.
    assert 'name="role"' not in html
    assert 'id="invitations"' not in html
    assert 'id="settings"' not in html


def test_owner_promotes_a_member_to_admin(client_alice, team, bob):
    membership = Membership.objects.get(user=bob)

    response = client_alice.post(
        reverse("teams:change_role", args=[team.slug, membership.pk]), {"role": "admin"}
    )

    assert response.status_code == 302
    assert role_of(bob, team) == "admin"
    page = client_alice.get(response.url).content.decode()
    assert "bob is now admin." in page


def test_role_change_by_htmx_answers_the_members_section(client_alice, team, bob):
    membership = Membership.objects.get(user=bob)

    response = client_alice.post(
        reverse("teams:change_role", args=[team.slug, membership.pk]),
        {"role": "viewer"},
        HTTP_HX_REQUEST="true",
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<section class="card team-section" id="members"')
    assert "bob is now viewer." in html
    assert role_of(bob, team) == "viewer"


def test_admin_cannot_touch_an_owner(client, team, alice, join_team):
    ada = join_team("ada", "admin")
    client.force_login(ada)
    owner = Membership.objects.get(user=alice)

    demote = client.post(
        reverse("teams:change_role", args=[team.slug, owner.pk]), {"role": "member"}
    )
    remove = client.post(reverse("teams:remove_member", args=[team.slug, owner.pk]))

    assert (demote.status_code, remove.status_code) == (403, 403)
    assert role_of(alice, team) == "owner"


def test_admin_manages_other_admins_but_offers_no_owner_role(client, team, join_team):
    ada = join_team("ada", "admin")
    eve = Membership.objects.get(user=join_team("eve", "admin"))
    client.force_login(ada)

    html = client.get(reverse("teams:detail", args=[team.slug])).content.decode()
    response = client.post(
        reverse("teams:change_role", args=[team.slug, eve.pk]), {"role": "member"}
    )

    assert 'value="owner"' not in html
    assert response.status_code == 302
    assert role_of(eve.user, team) == "member"


def test_owner_can_make_another_owner_who_can_then_demote_the_first(
    client, client_alice, team, alice, bob
):
    bob_membership = Membership.objects.get(user=bob)
    client_alice.post(
        reverse("teams:change_role", args=[team.slug, bob_membership.pk]), {"role": "owner"}
    )
    client.force_login(bob)

    response = client.post(
        reverse("teams:change_role", args=[team.slug, Membership.objects.get(user=alice).pk]),
        {"role": "member"},
    )

    assert response.status_code == 302
    assert (role_of(alice, team), role_of(bob, team)) == ("member", "owner")


def test_nobody_changes_their_own_role(client, team, join_team):
    ada = join_team("ada", "admin")
    client.force_login(ada)
    mine = Membership.objects.get(user=ada)

    response = client.post(
        reverse("teams:change_role", args=[team.slug, mine.pk]), {"role": "owner"}
    )

    assert response.status_code == 403
    assert role_of(ada, team) == "admin"


def test_unknown_role_is_refused(client_alice, team, bob):
    membership = Membership.objects.get(user=bob)

    response = client_alice.post(
        reverse("teams:change_role", args=[team.slug, membership.pk]), {"role": "emperor"}
    )

    assert response.status_code == 403
    assert role_of(bob, team) == "member"


def test_admin_removes_a_member(client, team, bob, join_team):
    client.force_login(join_team("ada", "admin"))
    membership = Membership.objects.get(user=bob)

    response = client.post(reverse("teams:remove_member", args=[team.slug, membership.pk]))

    assert response.status_code == 302
    assert role_of(bob, team) is None


def test_member_leaves_the_team(client, team, bob):
    client.force_login(bob)

    response = client.post(reverse("teams:leave", args=[team.slug]), follow=True)

    assert role_of(bob, team) is None
    assert response.redirect_chain[-1][0] == reverse("teams:list")
    assert "You left “Studio”." in response.content.decode()


def test_the_last_owner_cannot_leave(client_alice, team, alice, bob):
    html = client_alice.get(reverse("teams:detail", args=[team.slug])).content.decode()
    response = client_alice.post(reverse("teams:leave", args=[team.slug]), follow=True)

    assert "You are the only owner." in html
    assert role_of(alice, team) == "owner"
    assert "A team needs an owner" in response.content.decode()


def test_an_owner_can_leave_when_another_owner_remains(client_alice, team, alice, join_team):
    join_team("olga", "owner")

    client_alice.post(reverse("teams:leave", args=[team.slug]))

    assert role_of(alice, team) is None


def test_the_last_owner_rule_holds_in_actions_too(team, alice):
    from playground.accounts import actions

    owner = Membership.objects.get(user=alice)

    with pytest.raises(actions.TeamRuleError):
        actions.leave_team(membership=owner)
    with pytest.raises(actions.TeamRuleError):
        # Even an owner acting on themselves through a forged path.
        actions._check_not_last_owner(owner, "changing this role")


def test_owner_renames_the_team_and_opens_the_showcase(client_alice, team):
    response = client_alice.post(
        reverse("teams:settings", args=[team.slug]),
        {"settings-name": "Studio North", "settings-showcase_public": "on"},
    )

    team.refresh_from_db()
    assert response.status_code == 302
    assert (team.name, team.slug, team.showcase_public) == ("Studio North", "studio", True)
    html = client_alice.get(reverse("teams:detail", args=[team.slug])).content.decode()
    assert 'href="/showcase/studio/"' in html


def test_deleting_a_team_needs_its_name_typed(client_alice, team):
    wrong = client_alice.post(
        reverse("teams:delete", args=[team.slug]), {"delete-confirm": "studio"}
    )

    assert wrong.status_code == 200
    assert "Type “Studio” exactly" in wrong.content.decode()
    assert Team.objects.filter(pk=team.pk).exists()

    right = client_alice.post(
        reverse("teams:delete", args=[team.slug]), {"delete-confirm": "Studio"}, follow=True
    )

    assert not Team.objects.filter(pk=team.pk).exists()
    assert "Team “Studio” was deleted." in right.content.decode()


def test_a_deleted_teams_generations_stay_with_their_makers_privately(client_alice, alice, team):
    from playground.catalog.models import Endpoint
    from playground.jobs.models import Generation

    endpoint = Endpoint.objects.get(endpoint_id="fal-ai/flux/schnell")
    made = dict(owner=alice, model=endpoint, endpoint_id=endpoint.endpoint_id, input={})
    posted = Generation.objects.create(**made, team=team, visibility="team", in_showcase=True)
    shared = Generation.objects.create(**made, team=team, visibility="link", share_token="t0k")

    client_alice.post(reverse("teams:delete", args=[team.slug]), {"delete-confirm": "Studio"})

    posted.refresh_from_db()
    shared.refresh_from_db()
    assert (posted.team, posted.visibility, posted.in_showcase) == (None, "private", False)
    assert (shared.team, shared.visibility) == (None, "link")  # its link keeps working


def test_teams_nav_link_marks_the_current_page(client_alice, team):
    html = client_alice.get(reverse("teams:detail", args=[team.slug])).content.decode()

    assert f'href="{reverse("teams:list")}" aria-current="page">Teams</a>' in html
    assert f'href="{reverse("fal_keys")}"' in html
