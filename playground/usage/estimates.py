"""Costs in words: what an input will cost before Run, and what a run cost."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any

from playground.usage.models import Unit
from playground.usage.prices import Quote, quote, reported_cost, usd
from playground.usage.units import estimate

UNKNOWN_UNITS = {
    Unit.CHARACTER: "Priced on the text you enter.",
    Unit.KILO_CHARACTER: "Priced on the text you enter.",
    "": "Billed on the length of what the run makes.",
}
PLURALS = {Unit.KILO_CHARACTER: "thousand characters", Unit.COMPUTE_SECOND: "compute seconds"}


@dataclass(frozen=True)
class CostText:
    text: str  # "≈ $0.025", "$0.28 per second", "$0.05"
    note: str = ""  # how it was reached: the units and the price
    billed: bool = False  # what fal billed, not an estimate

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def price_line(found: Quote) -> str:
    return f"{usd(found.unit_price)} per {found.unit_label}"


def amount(units: float, unit: str) -> str:
    """ "1 megapixel", "5 seconds", "0.12 thousand characters"."""
    number = f"{units:,.3f}".rstrip("0").rstrip(".")
    if unit == Unit.KILO_CHARACTER:
        return f"{number} {PLURALS[unit]}"
    label = Unit(unit).label if unit in Unit.values else unit
    return f"{number} {label}" if units == 1 else f"{number} {PLURALS.get(unit, label + 's')}"


def estimate_input(endpoint_id: str, schema: dict[str, Any], data: Any) -> CostText | None:
    """The cost of running `data` at the endpoint's price; None when it has no price. When
    only the output can tell the units (speech to be made...), the price per unit."""
    found = quote(endpoint_id)
    if found is None:
        return None
    units = estimate(found.unit, data if isinstance(data, dict) else {}, schema)
    if units is None:
        return CostText(price_line(found), UNKNOWN_UNITS.get(found.unit, UNKNOWN_UNITS[""]))
    cost = found.cost(units) or Decimal(0)
    return CostText(f"≈ {usd(cost)}", f"{amount(units, found.unit)} at {price_line(found)}")


def run_cost(generation: Any) -> CostText | None:
    """What a run cost: fal's billable units at the price of the time, the cost the model
    reported, or an estimate from its input; None when no price is known."""
    units, cost = generation.billable_units, generation.cost
    if cost is not None and units is not None:
        found = quote(generation.endpoint_id)
        note = f"{amount(units, found.unit)} billed by fal" if found else "billed by fal"
        return CostText(usd(cost), note, billed=True)
    reported = cost if cost is not None else reported_cost(generation.output)
    if reported is not None:
        return CostText(usd(reported), "reported by the model", billed=True)
    model = generation.model
    schema = model.input_schema if model is not None else {}
    guess = estimate_input(generation.endpoint_id, schema, generation.input)
    if guess is None:
        return None
    if generation.status in ("failed", "cancelled"):
        return CostText(usd(Decimal(0)), "not billed: fal bills successful outputs only")
    if not guess.text.startswith("≈"):
        return CostText(guess.text, "fal reported no billable units for this run")
    return CostText(guess.text, f"estimated from the input: {guess.note}")
