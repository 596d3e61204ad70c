"""Every team URL tried by every kind of visitor: owner, admin, member, viewer, outsider and
anonymous. Outsiders get 404 (they never learn a team exists), anonymous visitors are sent
to log in, members whose role lacks the right get 403."""

from __future__ import annotations

import pytest
from django.urls import reverse

from playground.accounts.models import RIGHTS, Invitation, Membership

pytestmark = pytest.mark.django_db

VISITORS = ["owner", "admin", "member", "viewer", "outsider", "anonymous"]

# (url name, method, right needed, POST data)
TEAM_URLS = [
    ("teams:detail", "get", "view", None),
    ("teams:leave", "post", "view", {}),
    ("teams:change_role", "post", "manage_members", {"role": "member"}),
    ("teams:remove_member", "post", "manage_members", {}),
    ("teams:invite_link", "post", "manage_members", {"link-role": "member", "link-days": "7"}),
    (
        "teams:invite_email",
        "post",
        "manage_members",
        {"email-email": "erin@example.com", "email-role": "viewer", "email-days": "1"},
    ),
    ("teams:revoke_invitation", "post", "manage_members", {}),
    ("teams:key", "post", "manage_keys", {"key": "fal-key-0123456789abcd"}),
    ("teams:key_remove", "post", "manage_keys", {}),
    ("teams:settings", "post", "delete_team", {"settings-name": "Studio 2"}),
    ("teams:delete", "post", "delete_team", {"delete-confirm": "not the name"}),
]


@pytest.fixture
def visitors(alice, charlie, join_team):
    return {
        "owner": alice,
        "admin": join_team("ada", "admin"),
        "member": join_team("bob", "member"),
        "viewer": join_team("vic", "viewer"),
        "outsider": charlie,
        "anonymous": None,
    }


def url_for(name: str, team, target: Membership, invitation: Invitation) -> str:
    if name in ("teams:change_role", "teams:remove_member"):
        return reverse(name, args=[team.slug, target.pk])
    if name == "teams:revoke_invitation":
        return reverse(name, args=[team.slug, invitation.pk])
    return reverse(name, args=[team.slug])


@pytest.mark.parametrize("visitor", VISITORS)
@pytest.mark.parametrize(("name", "method", "right", "data"), TEAM_URLS, ids=lambda v: str(v))
def test_team_url_answers_each_visitor_by_their_rights(
    client, team, join_team, visitors, visitor, name, method, right, data
):
    # Zoe, a viewer, is who admins act on (nobody can act on themselves).
    target = Membership.objects.get(user=join_team("zoe", "viewer"))
    invitation = Invitation.objects.create(team=team)
    user = visitors[visitor]
    if user is not None:
        client.force_login(user)
    url = url_for(name, team, target, invitation)
    role = Membership.objects.filter(user=user, team=team).values_list("role", flat=True).first()

    response = getattr(client, method)(url, data) if data is not None else client.get(url)

    if visitor == "anonymous":
        assert response.status_code == 302
        assert response.url == f"{reverse('login')}?next={url}"
    elif visitor == "outsider":
        assert response.status_code == 404
    elif right in RIGHTS[role]:
        assert response.status_code in (200, 302)
    else:
        assert response.status_code == 403


@pytest.mark.parametrize("name", ["teams:detail", "teams:leave", "teams:settings"])
def test_unknown_team_is_404_like_a_team_you_are_not_in(client, charlie, name):
    client.force_login(charlie)

    method = client.get if name == "teams:detail" else client.post
    response = method(reverse(name, args=["no-such-team"]))

    assert response.status_code == 404


def test_writes_refuse_get(client_alice, team):
    for name in ("teams:leave", "teams:invite_link", "teams:key", "teams:delete"):
        assert client_alice.get(reverse(name, args=[team.slug])).status_code == 405


def test_outsider_page_never_names_the_team(client, charlie, team):
    client.force_login(charlie)

    response = client.get(reverse("teams:detail", args=[team.slug]))

    assert response.status_code == 404
    assert "Studio" not in response.content.decode()


@pytest.mark.parametrize("name", ["teams:list", "fal_keys"])
def test_anonymous_visitors_are_sent_to_log_in(client, name):
    url = reverse(name)

    response = client.get(url)

    assert response.status_code == 302
    assert response.url == f"{reverse('login')}?next={url}"


def test_a_forged_role_above_your_own_is_refused(client, team, join_team):
    ada = join_team("ada", "admin")
    zoe = Membership.objects.get(user=join_team("zoe", "viewer"))
    client.force_login(ada)

    response = client.post(
        reverse("teams:change_role", args=[team.slug, zoe.pk]), {"role": "owner"}
    )

    assert response.status_code == 403
    zoe.refresh_from_db()
    assert zoe.role == "viewer"


def test_members_of_another_team_cannot_reach_into_this_one(client, team, join_team):
    from playground.accounts.actions import create_team

    ada = join_team("ada", "admin")
    other = create_team(user=ada, name="Elsewhere")
    alice_membership = Membership.objects.get(team=team, role="owner")
    client.force_login(ada)

    # Ada administers "Elsewhere"; alice's membership is not in that team.
    response = client.post(reverse("teams:remove_member", args=[other.slug, alice_membership.pk]))

    assert response.status_code == 404
    assert Membership.objects.filter(pk=alice_membership.pk).exists()
