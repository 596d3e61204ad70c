"""The one way views and consumers fetch a generation for a person.

Who may do what (DESIGN.md, gallery):
- see: its owner, and every member of the team it is posted to (any role);
- change (favorite, notes, tags, share, move, delete): its owner, and the admins and
  owners of its team (the team's `curate` right);
- link and public shares are read through their token (`generation_for_token`), never
  through these helpers.
Outsiders get 404 for everything, so they cannot even learn that a generation exists;
members who may only look get 403 on writes.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404

from playground.accounts.models import membership
from playground.jobs.models import Generation, Visibility

VIEW = "view"
EDIT = "edit"
# A team generation is changed by its owner or by those who curate the team's gallery.
TEAM_EDIT_RIGHT = "curate"


def reachable_by(user: Any) -> Any:
    """Generations `user` may see, deleted ones included (to undo a delete)."""
    if not getattr(user, "is_authenticated", False):
        return Generation.objects.none()
    team_ids = user.memberships.values("team_id")
    return Generation.objects.filter(Q(owner=user) | Q(team_id__in=team_ids))


def generation_for(
    user: Any, code: Any, right: str = VIEW, *, deleted: bool = False
) -> tuple[Generation, bool]:
    """(generation, can_edit). Raises Http404 for anyone who may not see it, and
    PermissionDenied (403) when `right` is EDIT and the person may only look.

    `deleted=True` finds soft-deleted generations instead of live ones (restore)."""
    rows = reachable_by(user).filter(deleted_at__isnull=not deleted)
    try:
        generation = rows.with_model().select_related("owner", "team").get(code=code)
    except (Generation.DoesNotExist, ValueError, ValidationError):
        raise Http404("No such generation") from None
    editable = can_edit(user, generation)
    if right == EDIT and not editable:
        raise PermissionDenied("You may look at this generation but not change it.")
    return generation, editable


def can_edit(user: Any, generation: Generation) -> bool:
    if generation.owner_id == getattr(user, "pk", None):
        return True
    member = membership(user, generation.team_id)
    return bool(member and member.can(TEAM_EDIT_RIGHT))


def generation_for_token(token: str) -> Generation:
    """The generation shared at `/s/<token>/`; Http404 once revoked, made private or
    deleted. Tokens are compared by the database's unique index (exact match)."""
    if not token or len(token) > 64:
        raise Http404("No such link")
    try:
        return (
            Generation.objects.with_model()
            .select_related("owner", "team")
            .filter(
                visibility__in=(Visibility.LINK, Visibility.PUBLIC),
                deleted_at__isnull=True,
            )
            .get(share_token=token)
        )
    except Generation.DoesNotExist:
        raise Http404("No such link") from None
