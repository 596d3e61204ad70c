"""Bringing prices up to date from fal's pricing API (platform.PlatformClient.iter_prices).

Rows an admin set are never touched; bundled and earlier fal rows take fal's figure.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from playground.fal.platform import PlatformClient, PriceInfo
from playground.usage.models import Price, PriceSource
from playground.usage.prices import forget, parse_price
from playground.usage.units import normalize_unit


@dataclass
class PriceReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    kept_admin: int = 0
    skipped: dict[str, str] = field(default_factory=dict)  # endpoint id -> why

    def summary(self) -> str:
        parts = [
            f"{self.created} added",
            f"{self.updated} updated",
            f"{self.unchanged} unchanged",
            f"{self.kept_admin} set by an admin kept",
        ]
        if self.skipped:
            parts.append(f"{len(self.skipped)} skipped")
        return ", ".join(parts)


def sync_prices(fal: PlatformClient, endpoint_ids: list[str]) -> PriceReport:
    """Ask fal for the prices of `endpoint_ids` and store them; raises FalError subclasses
    when fal cannot be asked (nothing is changed by a failed page)."""
    report = PriceReport()
    admin_set = set(
        Price.objects.filter(source=PriceSource.ADMIN).values_list("endpoint_id", flat=True)
    )
    for info in fal.iter_prices(endpoint_ids):
        if info.endpoint_id in admin_set:
            report.kept_admin += 1
        else:
            store(info, report)
    forget()
    return report


def store(info: PriceInfo, report: PriceReport) -> None:
    unit, unit_price = normalize_unit(info.unit), parse_price(info.unit_price)
    if info.currency != "USD":
        report.skipped[info.endpoint_id] = f"priced in {info.currency}, not USD"
    elif unit is None:
        report.skipped[info.endpoint_id] = f"unit {info.unit!r} is not one Playground counts"
    elif unit_price is None:
        report.skipped[info.endpoint_id] = f"unit price {info.unit_price!r} is not a number"
    else:
        _save(info.endpoint_id, unit, unit_price, report)


def _save(endpoint_id: str, unit: str, unit_price, report: PriceReport) -> None:
    row = Price.objects.filter(endpoint_id=endpoint_id).first()
    if row is None:
        Price.objects.create(
            endpoint_id=endpoint_id, unit=unit, unit_price=unit_price, source=PriceSource.FAL
        )
        report.created += 1
    elif (row.unit, row.unit_price, row.source) == (unit, unit_price, PriceSource.FAL):
        report.unchanged += 1
    else:
        row.unit, row.unit_price, row.source = unit, unit_price, PriceSource.FAL
        row.save(update_fields=["unit", "unit_price", "source", "updated"])
        report.updated += 1
