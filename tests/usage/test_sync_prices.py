"""`manage.py sync_prices` against a fake pricing API (httpx.MockTransport; no network)."""

from __future__ import annotations

from decimal import Decimal
from io import StringIO

import httpx
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from playground.usage.models import Price, PriceSource

pytestmark = pytest.mark.django_db


class FakePricing:
    """fal's /v1/models/pricing: the prices of the asked ids, two a page."""

    def __init__(self, prices: dict[str, dict], status: int = 200) -> None:
        self.prices = prices
        self.status = status
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        assert (request.url.host, request.url.path) == ("api.fal.ai", "/v1/models/pricing")
        if self.status != 200:
            return httpx.Response(self.status, json={"detail": "Invalid key"})
        asked = request.url.params.get_list("endpoint_id")
        found = [{"endpoint_id": e, **self.prices[e]} for e in asked if e in self.prices]
        start = int(request.url.params.get("cursor") or 0)
        more = start + 2 < len(found)
        return httpx.Response(200, json={
            "prices": found[start : start + 2], "has_more": more,
            "next_cursor": str(start + 2) if more else None,
        })  # fmt: skip


def sync(transport: httpx.BaseTransport) -> str:
    out = StringIO()
    call_command("sync_prices", transport=transport, sleep=lambda s: None, stdout=out)
    return out.getvalue()


def price(endpoint_id: str) -> tuple[str, Decimal, str]:
    row = Price.objects.get(endpoint_id=endpoint_id)
    return row.unit, row.unit_price, row.source


def test_fal_s_prices_replace_bundled_ones_page_by_page(settings):
    settings.FAL_KEY = "key-id:secret"
    fake = FakePricing({
        "fal-ai/flux/dev": {"unit_price": 0.03, "unit": "megapixels", "currency": "USD"},
        "fal-ai/veo3": {"unit_price": 0.5, "unit": "video_second", "currency": "USD"},
        "fal-ai/flux/schnell": {"unit_price": 0.003, "unit": "megapixels", "currency": "USD"},
    })  # fmt: skip

    out = sync(httpx.MockTransport(fake))

    assert "Prices synced from fal: 0 added, 3 updated" in out
    assert price("fal-ai/flux/dev") == ("megapixel", Decimal("0.03"), PriceSource.FAL)
    assert price("fal-ai/veo3") == ("second", Decimal("0.5"), PriceSource.FAL)
    assert price("fal-ai/flux/schnell")[2] == PriceSource.FAL
    first = fake.requests[0]
    assert first.headers["Authorization"] == "Key key-id:secret"
    assert "fal-ai/flux/dev" in first.url.params.get_list("endpoint_id")
    assert fake.requests[1].url.params["cursor"] == "2"  # the second page was followed
    assert price("fal-ai/wizper")[2] == PriceSource.BUNDLED  # fal did not list it


def test_prices_set_by_an_admin_are_kept(settings):
    settings.FAL_KEY = "key-id:secret"
    Price.objects.filter(endpoint_id="fal-ai/flux/dev").update(
        unit_price=Decimal("0.02"), source=PriceSource.ADMIN
    )
    fake = FakePricing({"fal-ai/flux/dev": {"unit_price": 0.03, "unit": "megapixels"}})

    out = sync(httpx.MockTransport(fake))

    assert "1 set by an admin kept" in out
    assert price("fal-ai/flux/dev") == ("megapixel", Decimal("0.02"), PriceSource.ADMIN)


def test_units_and_currencies_it_cannot_count_are_skipped_and_said(settings):
    settings.FAL_KEY = "key-id:secret"
    fake = FakePricing({
        "fal-ai/flux/dev": {"unit_price": 0.03, "unit": "tokens"},
        "fal-ai/veo3": {"unit_price": 0.5, "unit": "second", "currency": "EUR"},
        "fal-ai/wizper": {"unit_price": "free", "unit": "second"},
    })  # fmt: skip

    out = sync(httpx.MockTransport(fake))

    assert "3 skipped" in out
    assert "skipped fal-ai/flux/dev: unit 'tokens'" in out
    assert "skipped fal-ai/veo3: priced in EUR" in out
    assert price("fal-ai/flux/dev")[2] == price("fal-ai/veo3")[2] == PriceSource.BUNDLED


def test_without_a_key_it_says_so_and_keeps_the_bundled_prices(settings):
    settings.FAL_KEY = ""
    Price.objects.all().delete()

    out = sync(httpx.MockTransport(lambda request: pytest.fail("no call without a key")))

    assert "No FAL_KEY set" in out and "Keeping the prices there are (51 endpoints" in out
    assert price("fal-ai/flux/dev")[2] == PriceSource.BUNDLED


def test_offline_it_says_so_exits_cleanly_and_keeps_the_prices(settings):
    settings.FAL_KEY = "key-id:secret"

    def offline(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("Name or service not known")

    out = sync(httpx.MockTransport(offline))  # no CommandError: exit status 0

    assert "Cannot reach fal's pricing API (api.fal.ai)" in out
    assert price("fal-ai/flux/dev") == ("megapixel", Decimal("0.025"), PriceSource.BUNDLED)


def test_a_refused_key_is_an_error_in_plain_words(settings):
    settings.FAL_KEY = "key-id:wrong"
    with pytest.raises(CommandError, match="fal's pricing API refused the request"):
        sync(httpx.MockTransport(FakePricing({}, status=401)))
