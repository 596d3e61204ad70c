"""Changing budgets and rate-limit overrides. Team changes are written to the team's
activity log in the same transaction (BUDGET_CHANGED, LIMIT_CHANGED); the remembered
budgets and quotas of this process are forgotten by the models' save signals (apps.py)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import transaction

from playground.accounts.models import Membership, Team
from playground.activity.actions import record
from playground.activity.models import Action
from playground.gateway.models import AccessToken
from playground.limits.models import PersonBudget


def set_person_budget(*, user: Any, amount: Decimal | None) -> None:
    """A person's own monthly budget (staff); None removes it."""
    if amount is None:
        PersonBudget.objects.filter(user=user).delete()
    else:
        PersonBudget.objects.update_or_create(
            user=user, defaults={"monthly_budget": _cents(amount)}
        )


def set_team_budget(*, actor: Any, team: Team, amount: Decimal | None) -> bool:
    """The team's monthly budget; whether it changed."""
    with transaction.atomic():
        return _change(
            team, "monthly_budget", _cents(amount), actor=actor, team=team, target="the team"
        )


def set_member_limits(
    *, actor: Any, member: Membership, budget: Decimal | None, rate_limit: int | None
) -> bool:
    """A member's monthly budget and requests a minute in their team; whether either changed."""
    said = {"actor": actor, "team": member.team, "target": member.user.get_username()}
    with transaction.atomic():
        budget_changed = _change(member, "monthly_budget", _cents(budget), **said)
        limit_changed = _change(member, "rate_limit", rate_limit, **said)
    return budget_changed or limit_changed


def set_token_limits(
    *, actor: Any, token: AccessToken, budget: Decimal | None, rate_limit: int | None
) -> bool:
    """A token's own monthly budget and requests a minute; whether either changed. Team
    tokens' changes go to the team's activity log; personal tokens have none."""
    said = {"actor": actor, "team": token.team, "target": f"token {token}"}
    with transaction.atomic():
        budget_changed = _change(token, "monthly_budget", _cents(budget), **said)
        limit_changed = _change(token, "rate_limit", rate_limit, **said)
    return budget_changed or limit_changed


def _cents(amount: Decimal | None) -> Decimal | None:
    """Budgets are whole cents, said the same way wherever they are shown ("50.00")."""
    return None if amount is None else amount.quantize(Decimal("0.01"))


def _change(
    row: Any, field: str, value: Any, *, actor: Any, team: Team | None, target: str
) -> bool:
    before = getattr(row, field)
    if before == value:
        return False
    setattr(row, field, value)
    row.save(update_fields=[field])
    _record(team, actor, field, before, value, target)
    return True


def _record(team: Team | None, actor: Any, field: str, before: Any, after: Any, target: str):
    if team is None:
        return  # a personal token: no team log to write to
    if field == "monthly_budget":
        details = {"from": _cents(before), "to": _cents(after), "per": "month"}
        record(team, actor, Action.BUDGET_CHANGED, target=target, details=details)
    else:
        details = {"from": before, "to": after, "per": "minute"}
        record(team, actor, Action.LIMIT_CHANGED, target=target, details=details)


LIMIT_FIELDS = ("monthly_budget", "rate_limit")


def record_admin_edit(*, actor: Any, form: Any, team: Team | None, target: str) -> None:
    """A budget or rate limit changed by staff in the admin (a saved ModelForm of a Team,
    Membership or AccessToken), in the team's activity log as the team's own pages do."""
    if form.instance._state.adding:
        return
    for field in LIMIT_FIELDS:
        if field in form.changed_data:
            before, after = form.initial.get(field), form.cleaned_data.get(field)
            _record(team, actor, field, before, after, target)
