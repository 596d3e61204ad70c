"""`manage.py sync_prices`: fal's unit prices for every endpoint in the catalog."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from playground.catalog.models import Endpoint
from playground.fal.errors import FalConnectionError, FalError, FalHTTPError, FalTimeoutError
from playground.fal.platform import platform_client_from_settings
from playground.usage.models import Price
from playground.usage.prices import load_bundled_prices
from playground.usage.sync import sync_prices

KEPT = "Keeping the prices there are ({count} endpoints priced, bundled list prices included)."


class Command(BaseCommand):
    help = (
        "Fetch fal's unit prices (Platform API, needs FAL_KEY) for the catalog's endpoints. "
        "Prices set in the admin are kept; offline, the bundled list prices stay."
    )
    stealth_options = ("transport", "sleep")  # tests pass an httpx transport

    def handle(self, *args: Any, **options: Any) -> None:
        load_bundled_prices()
        if not settings.FAL_KEY:
            self.stdout.write(f"No FAL_KEY set: fal's pricing API needs one. {self.kept()}")
            return
        client_options = {k: options[k] for k in self.stealth_options if k in options}
        fal = platform_client_from_settings(**client_options)
        endpoint_ids = list(
            Endpoint.objects.order_by("endpoint_id").values_list("endpoint_id", flat=True)
        )
        try:
            with fal:
                report = sync_prices(fal, endpoint_ids)
        except (FalConnectionError, FalTimeoutError) as exc:
            host = urlsplit(fal.base_url).hostname
            self.stdout.write(f"Cannot reach fal's pricing API ({host}): {exc}. {self.kept()}")
            return
        except FalHTTPError as exc:
            raise CommandError(f"fal's pricing API refused the request: {exc}") from None
        except FalError as exc:
            raise CommandError(f"fal's pricing API failed: {exc}") from None
        self.stdout.write(f"Prices synced from fal: {report.summary()}.")
        for endpoint_id, why in sorted(report.skipped.items()):
            self.stdout.write(f"  skipped {endpoint_id}: {why}")

    def kept(self) -> str:
        return KEPT.format(count=Price.objects.count())
