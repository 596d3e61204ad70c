"""Who may do what in a team. Every team view (and anything else scoped to a team, such as
the team gallery) goes through `membership_for` / `team_for`.

Outsiders and anonymous visitors get 404 for every team URL, so nobody learns that a team
exists; members whose role lacks a right get 403.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404

from playground.accounts.models import RIGHTS, Membership, Role, Team

# Roles in order of power; a person can never hand out (or take away) more than they hold.
RANK: dict[str, int] = {Role.VIEWER: 0, Role.MEMBER: 1, Role.ADMIN: 2, Role.OWNER: 3}


def membership_for(user, slug: str, right: str | None = None) -> Membership:
    """The user's membership of the team `slug`, with `.team` loaded.

    Raises Http404 for anonymous users, non-members and unknown slugs alike, and
    PermissionDenied when the member's role lacks `right` (one of models.RIGHTS' names:
    view, run, post, manage_members, manage_keys, curate, delete_team).
    """
    if not getattr(user, "is_authenticated", False):
        raise Http404("No such team.")
    found = Membership.objects.select_related("team").filter(user=user, team__slug=slug).first()
    if found is None:
        raise Http404("No such team.")
    if right is not None and not found.can(right):
        raise PermissionDenied(f"A team {found.get_role_display().lower()} cannot do this.")
    return found


def team_for(user, slug: str, right: str | None = None) -> Team:
    """The team `slug` if the user belongs to it (and holds `right`); see `membership_for`."""
    return membership_for(user, slug, right).team


def roles_with(right: str) -> list[str]:
    """The roles that hold `right`, e.g. roles_with("run") == ["member", "admin", "owner"]."""
    return [str(role) for role, rights in RIGHTS.items() if right in rights]


def teams_with_right(user, right: str = "view") -> QuerySet[Team]:
    """The teams in which the user holds `right` (none for anonymous users)."""
    if not getattr(user, "is_authenticated", False):
        return Team.objects.none()
    return Team.objects.filter(
        memberships__user=user, memberships__role__in=roles_with(right)
    ).distinct()


def assignable_roles(actor: Membership) -> list[tuple[str, str]]:
    """(value, label) of the roles `actor` may give someone: none above their own."""
    if not actor.can("manage_members"):
        return []
    return [(value, label) for value, label in Role.choices if RANK[value] <= RANK[actor.role]]


def can_manage(actor: Membership, target: Membership) -> bool:
    """Whether `actor` may change `target`'s role or remove them (not themselves: they leave).

    Only owners manage owners; admins manage admins, members and viewers.
    """
    return (
        actor.pk != target.pk
        and actor.can("manage_members")
        and RANK[target.role] <= RANK[actor.role]
    )
