"""Teams and roles from the identity provider's groups, applied at every sign-in.

Only memberships that single sign-on made (those with an `SsoGrant` of the same provider)
are changed or removed; memberships made by invitation or by hand are left alone. A
team's last owner is never removed or demoted: the team would have nobody to run it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.db import transaction
from django.db.models import Q

from playground.accounts.live import access_changed_on_commit
from playground.accounts.models import Membership, Role
from playground.accounts.teams import RANK
from playground.activity.actions import record
from playground.activity.models import Action
from playground.sso.models import GroupRule, SsoGrant

log = logging.getLogger(__name__)


def wanted_roles(groups: Iterable[str], *, provider: str) -> dict[int, str]:
    """team id -> role the rules give someone in `groups`; the highest role per team."""
    rules = GroupRule.objects.filter(group__in=list(groups)).filter(
        Q(provider="") | Q(provider=provider)
    )
    wanted: dict[int, str] = {}
    for team_id, role in rules.values_list("team_id", "role"):
        if RANK[role] > RANK.get(wanted.get(team_id, ""), -1):
            wanted[team_id] = role
    return wanted


def sync_teams(user, groups: list[str], *, provider: str) -> None:
    """Make `user`'s SSO-granted memberships match what the rules give `groups`: join
    teams, change roles, leave teams whose groups the person is no longer in. Each change
    goes to the team's activity log."""
    wanted = wanted_roles(groups, provider=provider)
    with transaction.atomic():
        held = {
            member.team_id: member
            for member in Membership.objects.select_for_update(of=("self",))
            .select_related("sso_grant")
            .filter(user=user)
        }
        changed = [_grant(user, held.get(team_id), team_id, role, provider)
                   for team_id, role in wanted.items()]  # fmt: skip
        changed += [_withdraw(member, provider) for team_id, member in held.items()
                    if team_id not in wanted]  # fmt: skip
        if any(changed):
            access_changed_on_commit([user.pk])


def _granted_by_sso(member: Membership) -> SsoGrant | None:
    try:
        return member.sso_grant
    except SsoGrant.DoesNotExist:
        return None


def _grant(user, member: Membership | None, team_id: int, role: str, provider: str) -> bool:
    """Join the team as `role`, or bring an SSO-granted membership to `role`."""
    if member is None:
        member = Membership.objects.create(user=user, team_id=team_id, role=role)
        SsoGrant.objects.create(membership=member, provider=provider)
        details = {"role": role, "via": "sso", "provider": provider}
        record(team_id, user, Action.MEMBER_JOINED, details=details)
        return True
    grant = _granted_by_sso(member)
    if grant is None:
        return False  # made by invitation or by hand: not ours to change
    if grant.provider != provider:
        grant.provider = provider  # this provider's groups now decide it
        grant.save(update_fields=["provider", "updated"])
    return _change_role(member, role, provider)


def _withdraw(member: Membership, provider: str) -> bool:
    """Remove an SSO-granted membership no rule gives any more (only the granting
    provider's sign-ins do: another provider's groups say nothing about it)."""
    grant = _granted_by_sso(member)
    if grant is None or grant.provider != provider:
        return False
    if _is_last_owner(member):
        log.warning("SSO kept %s in team %s: the team's last owner", member.user, member.team_id)
        return False
    member.delete()
    details = {"role": member.role, "via": "sso", "provider": provider}
    record(member.team_id, None, Action.MEMBER_REMOVED, target=_name(member), details=details)
    return True


def _change_role(member: Membership, role: str, provider: str) -> bool:
    if member.role == role:
        return False
    if member.role == Role.OWNER and _is_last_owner(member):
        log.warning("SSO kept %s owner of team %s: its last owner", member.user, member.team_id)
        return False
    details = {"from": member.role, "to": role, "via": "sso", "provider": provider}
    member.role = role
    member.save(update_fields=["role"])
    record(member.team_id, None, Action.ROLE_CHANGED, target=_name(member), details=details)
    return True


def _is_last_owner(member: Membership) -> bool:
    if member.role != Role.OWNER:
        return False
    owners = Membership.objects.select_for_update().filter(team_id=member.team_id, role=Role.OWNER)
    return len(owners) <= 1


def _name(member: Membership) -> str:
    return member.user.get_username()
