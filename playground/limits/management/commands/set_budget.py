"""python manage.py set_budget (--user NAME | --team SLUG | --token ID) AMOUNT

AMOUNT is US dollars a calendar month (25, 12.50) or `none` to remove the budget. A team's
and a team token's change is written to the team's activity log (by no one: the system).
Exits 1 with a message for an unknown person, team or token, or a bad amount."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from playground.accounts.models import Team
from playground.demo.visitors import DEMO_USERNAME
from playground.demo.visitors import owner as demo_owner
from playground.gateway.models import AccessToken
from playground.limits import actions
from playground.limits.forms import MAX_BUDGET


class Command(BaseCommand):
    help = "Set or remove a monthly budget (US dollars) of a person, a team or a token."

    def add_arguments(self, parser) -> None:
        whose = parser.add_mutually_exclusive_group(required=True)
        whose.add_argument("--user", help="a username: their budget on their own account")
        whose.add_argument("--team", help="a team's slug: everything run for the team")
        whose.add_argument("--token", type=int, help="an access token's id")
        parser.add_argument("amount", help="dollars a month, or 'none' to remove it")

    def handle(self, *args, user: str | None, team: str | None, token: int | None,
               amount: str, **options) -> None:  # fmt: skip
        dollars = parse_amount(amount)
        if user is not None:
            person = get_user_model().objects.filter(username=user).first()
            if person is None and user == DEMO_USERNAME:
                person = demo_owner()  # made on the first demo run; capped before it
            if person is None:
                raise CommandError(f"No user named {user!r}.")
            actions.set_person_budget(user=person, amount=dollars)
            whose = f"{user} (on their own account)"
        elif team is not None:
            found = Team.objects.filter(slug=team).first()
            if found is None:
                raise CommandError(f"No team with the slug {team!r}.")
            actions.set_team_budget(actor=None, team=found, amount=dollars)
            whose = f"the team {found.name}"
        else:
            held = AccessToken.objects.select_related("team").filter(pk=token).first()
            if held is None:
                raise CommandError(f"No access token with the id {token}.")
            actions.set_token_limits(
                actor=None, token=held, budget=dollars, rate_limit=held.rate_limit
            )
            whose = f"the token {held}"
        said = "none" if dollars is None else f"${dollars}"
        self.stdout.write(f"Monthly budget of {whose}: {said}.")


def parse_amount(text: str) -> Decimal | None:
    if text.strip().lower() == "none":
        return None
    try:
        value = Decimal(text.strip().lstrip("$"))
    except InvalidOperation:
        message = f"{text!r} is not an amount: give dollars (25, 12.50) or none."
        raise CommandError(message) from None
    if not value.is_finite() or value < 0 or value > MAX_BUDGET:
        raise CommandError(f"A budget is between $0 and ${MAX_BUDGET}.")
    return value.quantize(Decimal("0.01"))
