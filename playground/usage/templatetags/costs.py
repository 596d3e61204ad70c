"""`{{ amount|usd }}`: dollars as the rest of Playground shows them ("$0.025", "$3.20")."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template

from playground.usage.prices import usd as format_usd

register = template.Library()


@register.filter
def usd(amount: Any) -> str:
    # Unknown: an en dash, as the log's other unknown values.
    return format_usd(amount) if isinstance(amount, Decimal) else "\u2013"
