"""Unit prices: the bundled list, lookups (cached briefly), and cost = units x price."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from asgiref.sync import sync_to_async
from django.db import DatabaseError

from playground.lib.memo import Memory, NotRemembered
from playground.usage.models import Price, PriceSource, Unit
from playground.usage.units import made_of_output, measure, normalize_unit

log = logging.getLogger(__name__)
BUNDLED_FILE = Path(__file__).with_name("bundled_prices.json")
CENT_FRACTIONS = Decimal("0.000001")  # costs are kept to a millionth of a dollar


@dataclass(frozen=True)
class Quote:
    endpoint_id: str
    unit: str
    unit_price: Decimal

    @property
    def unit_label(self) -> str:
        return Unit(self.unit).label if self.unit in Unit.values else self.unit

    def cost(self, units: float | None) -> Decimal | None:
        if units is None or units < 0:
            return None
        return (Decimal(str(units)) * self.unit_price).quantize(CENT_FRACTIONS)


def bundled_table() -> dict[str, dict[str, Any]]:
    """The bundled file's prices by endpoint id (entries without a price left out)."""
    data = json.loads(BUNDLED_FILE.read_text())
    return {k: v for k, v in data["prices"].items() if v.get("unit_price") is not None}


def load_bundled_prices() -> int:
    """Add the bundled price of every endpoint that has none, and bring rows that are
    still the bundled figure up to date with the file. fal's and admins' rows stay.
    Returns how many rows changed."""
    existing = {p.endpoint_id: p for p in Price.objects.all()}
    changed = 0
    for endpoint_id, entry in bundled_table().items():
        unit, unit_price = normalize_unit(entry["unit"]), Decimal(str(entry["unit_price"]))
        row = existing.get(endpoint_id)
        if row is None:
            Price.objects.create(
                endpoint_id=endpoint_id, unit=unit, unit_price=unit_price,
                source=PriceSource.BUNDLED,
            )  # fmt: skip
        elif row.source == PriceSource.BUNDLED and (row.unit, row.unit_price) != (unit, unit_price):
            row.unit, row.unit_price = unit, unit_price
            row.save(update_fields=["unit", "unit_price", "updated"])
        else:
            continue
        changed += 1
    forget()
    return changed


def load_bundled_after_migrate(sender: Any, using: str = "default", **kwargs: Any) -> None:
    changed = load_bundled_prices()
    if changed:
        log.info("bundled prices: %d added or updated", changed)


def quote(endpoint_id: str, *, memory_only: bool = False) -> Quote | None:
    """The endpoint's price, or None when none is known. Read on every costed request, so
    remembered for PRICE_CACHE_SECONDS (lib/memo.py): an admin edit in this process counts
    at once, in others within those seconds. `memory_only`: raises NotRemembered rather
    than read the database (an event loop asks first, then hops to a thread)."""
    (found,) = _quotes.recall(endpoint_id, lambda: (_read_quote(endpoint_id),),
                              memory_only=memory_only)  # fmt: skip
    return found


def _read_quote(endpoint_id: str) -> Quote | None:
    row = Price.objects.filter(endpoint_id=endpoint_id).only("unit", "unit_price").first()
    return Quote(endpoint_id, row.unit, row.unit_price) if row else None


# (quote,) by endpoint id: an endpoint without a price is remembered too.
_quotes: Memory[tuple[Quote | None]] = Memory(max_items=4096, ttl_setting="PRICE_CACHE_SECONDS")


async def aquote(endpoint_id: str) -> Quote | None:
    try:
        return quote(endpoint_id, memory_only=True)
    except NotRemembered:
        return await sync_to_async(quote)(endpoint_id)


def cost_of(endpoint_id: str, units: float | None) -> Decimal | None:
    """What `units` billable units of the endpoint cost; None when the units or the price
    are unknown. Never raises: a missing price must not stop a request being logged."""
    if units is None or not endpoint_id:
        return None
    try:
        found = quote(endpoint_id)
    except DatabaseError:
        log.warning("could not read the price of %s", endpoint_id, exc_info=True)
        return None
    return found.cost(units) if found else None


def run_cost(
    endpoint_id: str, units: float | None, output: Any, input: dict[str, Any] | None = None
) -> dict[str, Any]:
    """A finished run's `billable_units` and `cost`: fal's units at the endpoint's price;
    without fal's units (a stream's answer has no headers), the units its output and input
    show (units.measure, as the emulator bills); else the cost the answer reports itself
    (an LLM router's `usage.cost`)."""
    if units is None and input is not None:
        units = _measured_units(endpoint_id, input, output)
    cost = cost_of(endpoint_id, units)
    if cost is None:
        cost = reported_cost(output)
    return {"billable_units": units, "cost": cost}


def _measured_units(endpoint_id: str, input: dict[str, Any], output: Any) -> float | None:
    try:
        found = quote(endpoint_id)
    except DatabaseError:
        return None
    if found is None:
        return None
    return measure(found.unit, input, made_of_output(output))


def reported_cost(output: Any) -> Decimal | None:
    usage = output.get("usage") if isinstance(output, dict) else None
    value = usage.get("cost") if isinstance(usage, dict) else None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    price = parse_price(value)
    return price.quantize(CENT_FRACTIONS) if price is not None else None


async def acost_of(endpoint_id: str, units: float | None) -> Decimal | None:
    """cost_of from an event loop: a thread hop only when the price is not in memory."""
    if units is None or not endpoint_id:
        return None
    try:
        found = quote(endpoint_id, memory_only=True)
    except NotRemembered:
        return await sync_to_async(cost_of)(endpoint_id, units)
    return found.cost(units) if found else None


def forget(endpoint_id: str | None = None) -> None:
    """Drop cached prices (one, or all), after they changed in this process."""
    if endpoint_id is None:
        _quotes.clear()
    else:
        _quotes.forget(endpoint_id)


def usd(amount: Decimal) -> str:
    """$0.025, $3.20, $0.0004: cents always, more digits only where they say something."""
    if 0 < amount < Decimal("0.0001"):
        return "< $0.0001"
    text = f"{amount.quantize(Decimal('0.0001')):f}".rstrip("0")
    whole, _, fraction = text.partition(".")
    return f"${whole}.{fraction.ljust(2, '0')}"


def parse_price(value: Any) -> Decimal | None:
    try:
        price = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return price if price.is_finite() and price >= 0 else None
