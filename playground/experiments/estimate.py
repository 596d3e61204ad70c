"""What an experiment will cost and take, shown before it starts."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db.models import Avg, DurationField, ExpressionWrapper, F

from playground.experiments.plan import Plan
from playground.jobs.models import Generation, Status
from playground.usage.prices import quote, usd
from playground.usage.units import estimate

RECENT_RUNS = 20  # the runs of a model whose durations make its expected time


@dataclass(frozen=True)
class Estimate:
    runs: int
    cost: str  # "≈ $0.75", or "" when a price or the units are unknown
    duration: str  # "about 2 min", or "" when no run of these models finished yet
    at_once: int  # how many run side by side (the runs-in-flight cap)


def estimate_plan(plan: Plan, *, schemas: dict[str, dict]) -> Estimate:
    """`schemas`: each planned model's input schema by endpoint id."""
    at_once = settings.RUNS_IN_FLIGHT_PER_USER or plan.size
    at_once = max(1, min(at_once, plan.size))
    return Estimate(plan.size, _cost(plan, schemas), _duration(plan, at_once), at_once)


def _cost(plan: Plan, schemas: dict[str, dict]) -> str:
    total = Decimal(0)
    for cell in plan.cells:
        found = quote(cell.endpoint_id)
        if found is None:
            return ""
        cost = found.cost(estimate(found.unit, cell.input, schemas.get(cell.endpoint_id, {})))
        if cost is None:
            return ""
        total += cost
    return f"≈ {usd(total)}"


def _duration(plan: Plan, at_once: int) -> str:
    seconds = 0.0
    for endpoint_id in {cell.endpoint_id for cell in plan.cells}:
        each = _typical_seconds(endpoint_id)
        if each is None:
            return ""
        runs = sum(1 for cell in plan.cells if cell.endpoint_id == endpoint_id)
        seconds += each * math.ceil(runs / at_once)
    return _words(seconds)


def _typical_seconds(endpoint_id: str) -> float | None:
    ids = Generation.objects.filter(
        endpoint_id=endpoint_id, status=Status.COMPLETED, started__isnull=False
    ).order_by("-id")[:RECENT_RUNS]
    took = ExpressionWrapper(F("finished") - F("started"), output_field=DurationField())
    average = (
        Generation.objects.filter(pk__in=list(ids.values_list("pk", flat=True)))
        .annotate(took=took)
        .aggregate(avg=Avg("took"))["avg"]
    )
    return average.total_seconds() if isinstance(average, timedelta) else None


def _words(seconds: float) -> str:
    if seconds < 60:
        return f"about {max(1, round(seconds))} s"
    if seconds < 3600:
        return f"about {round(seconds / 60)} min"
    return f"about {seconds / 3600:.1f} h"
