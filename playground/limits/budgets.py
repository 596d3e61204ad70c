"""Monthly budgets in US dollars: which apply to a caller, what was spent against them this
month, the warning at 80 % (one email, and a notice in the app) and the block at 100 %.

Which budgets a call counts against (each is checked; any one reached blocks):
- the token's own (`AccessToken.monthly_budget`), for calls with a token;
- acting for a team: the team's (`Team.monthly_budget`) and the person's in that team
  (`Membership.monthly_budget`), both set by the team's admins;
- acting on their own: the person's (`PersonBudget`), set by staff.

A month is a calendar month in UTC; spending starts again from nothing on its first day.

Spend is read from the usage roll-up (`UsageDay.cost`), not the request log: every costed
call, gateway or playground run, is a `RequestLog` row added to its day's roll-up row in
the same transaction (usage/rollup.py), so the roll-up is current, and a month is at most
31 rows per key (indexed by user, team and token with the day). A queue request's cost
arrives when its result is fetched (with the gateway's tally flush).

What a caller stands at is remembered for GATEWAY_CACHE_SECONDS (lib/memo.py), as quotas
are: an app's calls cost no query, and a budget is seen reached within those seconds. Only
new work is checked (runs, submits, realtime sessions); polls and results of accepted
requests never are.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone

from playground.accounts.models import Membership, Team
from playground.accounts.teams import roles_with
from playground.lib.memo import Memory
from playground.limits.models import BudgetNotice, BudgetWarning, PersonBudget
from playground.usage.models import UsageDay

if TYPE_CHECKING:
    from playground.gateway.models import AccessToken

log = logging.getLogger(__name__)
WARN_AT = Decimal("0.8")
CENTS = Decimal("0.01")


def month_of(now: datetime | None = None) -> date:
    """The first day (UTC) of the month `now` (default: this moment) falls in."""
    return (now or timezone.now()).astimezone(UTC).date().replace(day=1)


def next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def dollars(amount: Decimal) -> str:
    return f"${amount.quantize(CENTS):,}"


@dataclass(frozen=True)
class Budget:
    """One budget and this month's spend against it."""

    scope: str  # which budget, unique: "user:1", "member:1:3", "team:3", "token:7"
    amount: Decimal
    spent: Decimal
    yours: str  # as said to the caller: "Your monthly budget in Studio"
    name: str  # as said to anyone: "bob's monthly budget in Studio"
    raised_by: str  # "staff", "an admin of Studio"
    user_id: int | None = None  # the person, or the token's holder
    team_id: int | None = None

    @property
    def reached(self) -> bool:
        return self.spent >= self.amount

    @property
    def nearly_reached(self) -> bool:
        # A $0 budget is a stop, not something to be warned about.
        return self.amount > 0 and self.spent >= self.amount * WARN_AT

    @property
    def percent(self) -> int:
        """Spent, in percent of the budget (a zero budget is used up at once)."""
        if self.amount <= 0:
            return 100
        return int(self.spent * 100 / self.amount)

    @property
    def bar_percent(self) -> int:
        return min(self.percent, 100)

    def blocked_message(self) -> str:
        return (
            f"{self.yours} of {dollars(self.amount)} is reached ({dollars(self.spent)} spent "
            f"this month); ask {self.raised_by} to raise it."
        )

    def warning_message(self) -> str:
        return (
            f"{self.percent} % of {self.name} of {dollars(self.amount)} is spent "
            f"({dollars(self.spent)}). At 100 % new runs and gateway calls are refused until "
            f"the month ends, unless {self.raised_by} raises it."
        )


@dataclass
class Meter:
    """This month's spend against a budget (None: no budget), for the page's bars."""

    spent: Decimal
    budget: Decimal | None

    @property
    def percent(self) -> int | None:
        if self.budget is None:
            return None
        return 100 if self.budget <= 0 else int(self.spent * 100 / self.budget)


class OverBudget(Exception):
    """A budget of the caller is reached: nothing new may start this month."""

    status = 402  # Payment Required: the request is fine, the money is not

    def __init__(self, budget: Budget) -> None:
        self.budget = budget
        super().__init__(budget.blocked_message())


def check_budgets(
    user_id: int | None,
    *,
    team_id: int | None = None,
    token: AccessToken | None = None,
    memory_only: bool = False,
    now: datetime | None = None,
) -> None:
    """Raises OverBudget when a budget of the caller is reached. `memory_only`: see
    lib/memo.py (raises NotRemembered rather than query)."""
    for budget in budgets_for(
        user_id, team_id=team_id, token=token, memory_only=memory_only, now=now
    ):
        if budget.reached:
            raise OverBudget(budget)


def budgets_for(
    user_id: int | None,
    *,
    team_id: int | None = None,
    token: AccessToken | None = None,
    memory_only: bool = False,
    now: datetime | None = None,
) -> tuple[Budget, ...]:
    """The caller's budgets and this month's spend, remembered briefly. Looking them up
    sends the 80 % warning of any budget that needs it."""
    if user_id is None:
        return ()
    month = month_of(now)
    key = (user_id, team_id, token.pk if token else None, month)
    return _standing.recall(
        key, lambda: _look_up(user_id, team_id, token, month), memory_only=memory_only
    )


_standing: Memory[tuple[Budget, ...]] = Memory()


def forget_budgets(**_) -> None:
    """A budget changed in this process: look them up again."""
    _standing.clear()


def _look_up(
    user_id: int, team_id: int | None, token: AccessToken | None, month: date
) -> tuple[Budget, ...]:
    found = []
    if token is not None and token.monthly_budget is not None:
        found.append(token_budget(token, month))
    if team_id is None:
        found += person_budgets(user_id, month)
    else:
        found += team_budgets(user_id, team_id, month)
    for budget in found:
        if budget.nearly_reached:
            warn_once(budget, month)
    return tuple(found)


def spent(month: date, **who: int) -> Decimal:
    """Dollars spent in `month` by the roll-up rows matching `who` (user_id, team_id,
    token_id; 0 means none)."""
    total = _month_rows(month, who).aggregate(total=Sum("cost"))["total"]
    # SQLite adds decimals up as floats: back to cents' fractions through str().
    return Decimal(str(total or 0)).quantize(Decimal("0.000001"))


def spent_by(month: date, group: str, **who: int) -> dict[int, Decimal]:
    """Dollars spent in `month`, by `group` (user_id or token_id), of the rows matching `who`."""
    grouped = _month_rows(month, who).order_by().values(group).annotate(total=Sum("cost"))
    return {row[group]: Decimal(str(row["total"] or 0)) for row in grouped}


def _month_rows(month: date, who: dict[str, int]):
    return UsageDay.objects.filter(day__gte=month, day__lt=next_month(month), **who)


def person_budgets(user_id: int, month: date) -> list[Budget]:
    row = PersonBudget.objects.filter(user_id=user_id).values("monthly_budget", "user__username")
    row = row.first()
    if row is None:
        return []
    return [
        Budget(
            scope=f"user:{user_id}", amount=row["monthly_budget"],
            spent=spent(month, user_id=user_id, team_id=0), yours="Your monthly budget",
            name=f"{row['user__username']}'s personal monthly budget",
            raised_by="staff", user_id=user_id,
        )
    ]  # fmt: skip


def team_budgets(user_id: int, team_id: int, month: date) -> list[Budget]:
    row = (
        Membership.objects.filter(user_id=user_id, team_id=team_id)
        .values("monthly_budget", "team__monthly_budget", "team__name", "user__username")
        .first()
    )
    if row is None:
        return []
    team, found = row["team__name"], []
    admins = f"an admin of {team}"
    if row["team__monthly_budget"] is not None:
        found.append(Budget(
            scope=f"team:{team_id}", amount=row["team__monthly_budget"],
            spent=spent(month, team_id=team_id), yours=f"The team {team}'s monthly budget",
            name=f"the team {team}'s monthly budget", raised_by=admins, team_id=team_id,
        ))  # fmt: skip
    if row["monthly_budget"] is not None:
        found.append(Budget(
            scope=f"member:{user_id}:{team_id}", amount=row["monthly_budget"],
            spent=spent(month, user_id=user_id, team_id=team_id),
            yours=f"Your monthly budget in {team}",
            name=f"{row['user__username']}'s monthly budget in {team}",
            raised_by=admins, user_id=user_id, team_id=team_id,
        ))  # fmt: skip
    return found


def token_budget(token: AccessToken, month: date) -> Budget:
    raised_by = "staff"
    if token.team_id is not None:
        team = Team.objects.filter(pk=token.team_id).values_list("name", flat=True).first()
        raised_by = f"an admin of {team}"
    assert token.monthly_budget is not None
    return Budget(
        scope=f"token:{token.pk}", amount=token.monthly_budget,
        spent=spent(month, token_id=token.pk), yours="This token's monthly budget",
        name=f"the token {token}'s monthly budget", raised_by=raised_by,
        user_id=token.user_id, team_id=token.team_id,
    )  # fmt: skip


# The warning at 80 %.


def warn_once(budget: Budget, month: date) -> bool:
    """Email the people concerned and give each a notice, once per budget and month, and
    again if the budget is raised past the amount last warned about. Returns whether this
    call sent it."""
    with transaction.atomic():
        earlier = BudgetWarning.objects.filter(scope=budget.scope, month=month)
        # Warned at this amount or a larger one: a lowered budget is not news at 80 %.
        if earlier.filter(Q(amount__isnull=True) | Q(amount__gte=budget.amount)).exists():
            return False
        warning, made = BudgetWarning.objects.get_or_create(
            scope=budget.scope,
            month=month,
            amount=budget.amount,
            defaults={"message": budget.warning_message()},
        )
        if not made:
            return False
        people = concerned(budget)
        BudgetNotice.objects.bulk_create(
            [BudgetNotice(warning=warning, user=person) for person in people]
        )
    # Once the warning is stored: another process that sees the spend finds it and sends none.
    _email(budget, [person.email for person in people if person.email])
    return True


def concerned(budget: Budget) -> list:
    """Who hears of a budget nearly reached: the person or token holder it is about, and
    the team's admins for a team's budgets (they can raise it)."""
    users = get_user_model().objects
    ids = {budget.user_id} if budget.user_id else set()
    if budget.team_id is not None:
        admins = Membership.objects.filter(
            team_id=budget.team_id, role__in=roles_with("manage_limits")
        )
        ids |= set(admins.values_list("user_id", flat=True))
    return list(users.filter(pk__in=ids).order_by("pk"))


def _email(budget: Budget, addresses: list[str]) -> None:
    if not addresses:
        return
    subject = f"Playground: {budget.percent} % of {budget.name} is spent"
    try:
        send_mail(subject, budget.warning_message(), None, addresses)
    except Exception:
        # A mail server down must not fail the call that noticed; the notice is in the app.
        log.exception("could not email the budget warning of %s", budget.scope)


def open_notices(user) -> list[BudgetNotice]:
    """This month's warnings the person has not dismissed, for the page banner."""
    if not getattr(user, "is_authenticated", False):
        return []
    found = BudgetNotice.objects.filter(
        user=user, dismissed__isnull=True, warning__month=month_of()
    ).select_related("warning")
    return list(found.order_by("pk"))


def usage_meters(user_id: int, team: Team | None = None) -> list[tuple[str, Meter]]:
    """This month's budgets for the usage page: a team's own (its admins' view), else the
    person's own and theirs in each team that gives them one."""
    month = month_of()
    if team is not None:
        if team.monthly_budget is None:
            return []
        used = spent(month, team_id=team.pk)
        return [(f"{team.name}'s monthly budget", Meter(used, team.monthly_budget))]
    found = []
    own = PersonBudget.objects.filter(user_id=user_id).first()
    if own is not None:
        mine = spent(month, user_id=user_id, team_id=0)
        found.append(("Your monthly budget", Meter(mine, own.monthly_budget)))
    budgeted = Membership.objects.filter(user_id=user_id, monthly_budget__isnull=False)
    for member in budgeted.select_related("team").order_by("team__name"):
        used = spent(month, user_id=user_id, team_id=member.team_id)
        label = f"Your monthly budget in {member.team.name}"
        found.append((label, Meter(used, member.monthly_budget)))
    return found
