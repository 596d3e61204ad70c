"""TEMPORARY minimal planner (helper "grid"): replaced by helper "plan"'s plan.py at merge.
Supports only {"kind": "seeds", "count": N | "seeds": [...]} and sweeps with JSON list values."""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings


@dataclass(frozen=True)
class Axis:
    key: str
    label: str
    values: tuple
    value_labels: tuple[str, ...]


@dataclass(frozen=True)
class Cell:
    coords: tuple[int, ...]
    endpoint_id: str
    input: dict


@dataclass(frozen=True)
class Plan:
    kind: str
    axes: tuple[Axis, ...]
    cells: tuple[Cell, ...]
    notes: tuple[str, ...]

    @property
    def size(self) -> int:
        return len(self.cells)


class PlanError(ValueError):
    def __init__(self, message: str, *, field: str = "") -> None:
        super().__init__(message)
        self.field = field


def plan_experiment(
    *, endpoint: Any, base_input: dict, spec: dict, endpoints_by_id: Mapping | None = None
) -> Plan:
    kind = spec.get("kind") if isinstance(spec, dict) else None
    if kind == "seeds":
        count = int(spec.get("count") or 0)
        if count > settings.EXPERIMENT_MAX_RUNS:
            raise PlanError(f"At most {settings.EXPERIMENT_MAX_RUNS} runs.", field="count")
        seeds = spec.get("seeds") or list(range(1, count + 1))
        axes = [Axis("seed", "Seed", tuple(seeds), tuple(str(s) for s in seeds))]
    elif kind == "sweep":
        axes = []
        for i, item in enumerate(spec.get("axes") or []):
            values = item.get("values")
            if not isinstance(values, list) or not values:
                raise PlanError("Give a list of values.", field=f"axes.{i}.values")
            name = item["field"]
            label = name.replace("_", " ").capitalize()
            axes.append(Axis(name, label, tuple(values), tuple(str(v) for v in values)))
    else:
        raise PlanError("Choose seeds, prompts, a sweep or models.", field="kind")
    if not axes or len(axes) > 3:
        raise PlanError("Give one to three axes.", field="axes")
    cells = []
    for combo in itertools.product(*(range(len(a.values)) for a in reversed(axes))):
        coords = tuple(reversed(combo))
        data = dict(base_input)
        for axis, index in zip(axes, coords, strict=True):
            data[axis.key] = axis.values[index]
        cells.append(Cell(coords, endpoint.endpoint_id, data))
    if not cells:
        raise PlanError("Nothing to run.", field="count")
    if len(cells) > settings.EXPERIMENT_MAX_RUNS:
        raise PlanError(f"At most {settings.EXPERIMENT_MAX_RUNS} runs.", field="count")
    return Plan(kind, tuple(axes), tuple(cells), ())


def needs_confirmation(plan: Plan) -> bool:
    return plan.size > settings.EXPERIMENT_CONFIRM_ABOVE
