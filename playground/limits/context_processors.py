"""Budget warnings for the banner of every page (base.html)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from playground.limits.budgets import open_notices


def budget_notices(request: HttpRequest) -> dict[str, Any]:
    # A callable: looked up only by pages that show the banner (not htmx fragments).
    return {"budget_notices": lambda: open_notices(getattr(request, "user", None))}
