"""The team's "Limits and budgets" forms: a budget in dollars a month, a rate limit in
requests a minute; empty means none (the team's, the tier's)."""

from __future__ import annotations

from decimal import Decimal

from django import forms

from playground.accounts.forms import FocusFirstErrorMixin

MAX_BUDGET = Decimal("99999999.99")  # the fields' ten digits
MAX_PER_MINUTE = 1_000_000


def budget_field(help_text: str) -> forms.DecimalField:
    return forms.DecimalField(
        label="Monthly budget (US $)",
        required=False,
        min_value=Decimal(0),
        max_value=MAX_BUDGET,
        decimal_places=2,
        help_text=help_text,
        widget=forms.NumberInput(attrs={"step": "0.01", "min": "0", "inputmode": "decimal"}),
    )


def rate_limit_field(help_text: str) -> forms.IntegerField:
    return forms.IntegerField(
        label="Requests a minute",
        required=False,
        min_value=1,
        max_value=MAX_PER_MINUTE,
        help_text=help_text,
        widget=forms.NumberInput(attrs={"min": "1", "inputmode": "numeric"}),
    )


class TeamBudgetForm(FocusFirstErrorMixin, forms.Form):
    budget = budget_field("Everything run for the team, by anyone. Empty: no budget.")


class MemberLimitsForm(FocusFirstErrorMixin, forms.Form):
    budget = budget_field("What this person may spend for the team. Empty: no budget.")
    rate_limit = rate_limit_field("For this team. Empty: the person's own tier.")


class TokenLimitsForm(FocusFirstErrorMixin, forms.Form):
    budget = budget_field("Calls through this token. Empty: no budget of its own.")
    rate_limit = rate_limit_field("Counted apart from its holder's. Empty: the holder's limit.")
