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
        PersonBudget.objects.update_or_create(user=user, defaults={"monthly_budget": amount})


def set_team_budget(*, actor: Any, team: Team, amount: Decimal | None) -> bool:
    """The team's monthly budget; whether it changed."""
    with transaction.atomic():
        return _change(team, "monthly_budget", amount, actor=actor, team=team, target="the team")


def set_member_limits(
    *, actor: Any, member: Membership, budget: Decimal | None, rate_limit: int | None
) -> bool:
    """A member's monthly budget and requests a minute in their team; whether either changed."""
    name = member.user.get_username()
    with transaction.atomic():
        changed = _change(member, "monthly_budget", budget, actor=actor, team=member.team,
                          target=name)  # fmt: skip
        return _change(member, "rate_limit", rate_limit, actor=actor, team=member.team,
                       target=name) or changed  # fmt: skip


def set_token_limits(
    *, actor: Any, token: AccessToken, budget: Decimal | None, rate_limit: int | None
) -> bool:
    """A token's own monthly budget and requests a minute; whether either changed. Team
    tokens' changes go to the team's activity log; personal tokens have none."""
    target = f"token {token}"
    with transaction.atomic():
        changed = _change(token, "monthly_budget", budget, actor=actor, team=token.team,
                          target=target)  # fmt: skip
        return _change(token, "rate_limit", rate_limit, actor=actor, team=token.team,
                       target=target) or changed  # fmt: skip


def _change(
    row: Any, field: str, value: Any, *, actor: Any, team: Team | None, target: str
) -> bool:
    before = getattr(row, field)
    if before == value:
        return False
    setattr(row, field, value)
    row.save(update_fields=[field])
    if team is not None:
        budget = field == "monthly_budget"
        record(
            team, actor, Action.BUDGET_CHANGED if budget else Action.LIMIT_CHANGED,
            target=target,
            details={"from": before, "to": value, "per": "month" if budget else "minute"},
        )  # fmt: skip
    return True
