"""Writing to the team activity log: `record`, the one way in.

Call it inside the transaction of the change it describes, so the entry and the change
are kept or lost together:

    from playground.activity.actions import record
    from playground.activity.models import Action

    with transaction.atomic():
        budget.save()
        record(team, request.user, Action.BUDGET_CHANGED, target="Team budget",
               details={"from": "50.00", "to": "100.00", "period": "month"})

Never put a secret in `target` or `details`: every team admin reads them (a fal key or a
token is named by its last four characters only).
"""

from __future__ import annotations

from typing import Any

from playground.accounts.models import Team
from playground.activity.models import Action, Entry

__all__ = ["Action", "record"]


def record(
    team: Team | int,
    actor: Any,
    action: Action | str,
    *,
    target: str = "",
    target_url: str = "",
    details: dict[str, Any] | None = None,
) -> Entry:
    """Append one entry to `team`'s activity log and return it.

    team: the Team (or its id). actor: the user who did it, or None for the system.
    action: an `Action` (BUDGET_CHANGED, LIMIT_CHANGED, ...). target: what it was done to,
    in words ("bob", "token ci …abcd"). target_url: a page about it (a generation's), or "".
    details: JSON-serialisable facts (Decimal and datetime are fine), e.g. {"from": .., "to": ..}.
    Raises ValueError for an action that is not an `Action`.
    """
    if action not in Action.values:
        raise ValueError(f"Unknown activity action: {action!r}")
    team_id = team if isinstance(team, int) else team.pk
    is_person = getattr(actor, "is_authenticated", False)
    return Entry.objects.create(
        team_id=team_id,
        actor=actor if is_person else None,
        actor_name=actor.get_username() if is_person else "",
        action=action,
        target=target[: Entry._meta.get_field("target").max_length],
        target_url=target_url[: Entry._meta.get_field("target_url").max_length],
        details=details or {},
    )
