"""The bundled price list, and prices staff set in the admin."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.urls import reverse

from playground.catalog.importer import import_bundled
from playground.catalog.models import Endpoint
from playground.usage.models import Price, PriceSource
from playground.usage.prices import BUNDLED_FILE, cost_of, load_bundled_prices, run_cost

pytestmark = pytest.mark.django_db


def test_every_bundled_model_is_in_the_bundled_list_and_priced_after_migrate():
    listed = json.loads(BUNDLED_FILE.read_text())
    assert "check with `python manage.py sync_prices`" in listed["about"]
    bundled = set(Endpoint.objects.filter(source="bundled").values_list("endpoint_id", flat=True))
    assert bundled and bundled == set(listed["prices"])
    priced = {k for k, v in listed["prices"].items() if v["unit_price"] is not None}
    assert set(Price.objects.values_list("endpoint_id", flat=True)) == priced
    flux = Price.objects.get(endpoint_id="fal-ai/flux/dev")
    assert (flux.unit, flux.unit_price, flux.source) == ("megapixel", Decimal("0.025"), "bundled")


def test_loading_again_keeps_fal_s_and_admins_prices_and_restores_bundled_ones():
    import_bundled()
    Price.objects.filter(endpoint_id="fal-ai/flux/dev").update(
        unit_price=Decimal("0.5"), source=PriceSource.ADMIN
    )
    Price.objects.filter(endpoint_id="fal-ai/veo3").update(
        unit_price=Decimal("0.5"), source=PriceSource.FAL
    )
    Price.objects.filter(endpoint_id="fal-ai/flux/schnell").update(unit_price=Decimal("9"))
    Price.objects.filter(endpoint_id="fal-ai/wizper").delete()

    assert load_bundled_prices() == 2

    prices = dict(Price.objects.values_list("endpoint_id", "unit_price"))
    assert prices["fal-ai/flux/dev"] == prices["fal-ai/veo3"] == Decimal("0.5")
    assert prices["fal-ai/flux/schnell"] == Decimal("0.003")
    assert prices["fal-ai/wizper"] == Decimal("0.0005")


def test_an_admin_edit_is_recorded_as_the_admin_s(admin_client):
    price = Price.objects.get(endpoint_id="fal-ai/flux/dev")
    url = reverse("admin:usage_price_change", args=[price.pk])
    assert cost_of("fal-ai/flux/dev", 2) == Decimal("0.05")

    response = admin_client.post(
        url, {"endpoint_id": "fal-ai/flux/dev", "unit": "image", "unit_price": "0.03"}
    )

    assert response.status_code == 302
    price.refresh_from_db()
    assert (price.unit, price.unit_price, price.source) == ("image", Decimal("0.03"), "admin")
    assert cost_of("fal-ai/flux/dev", 2) == Decimal("0.06")


def test_a_run_costs_fal_s_units_at_the_price_else_what_the_model_reported():
    assert run_cost("fal-ai/flux/dev", 3.0, {}) == {
        "billable_units": 3.0,
        "cost": Decimal("0.075"),
    }
    reported = {"output": "hi", "usage": {"cost": 0.0021}}
    assert run_cost("openrouter/router", None, reported)["cost"] == Decimal("0.0021")
    assert run_cost("openrouter/router", None, {"output": "hi"})["cost"] is None
    assert run_cost("acme/unpriced", 2.0, {})["cost"] is None


def test_without_fal_s_units_a_run_is_measured_from_its_output_and_input():
    made = {"images": [{"url": "a", "width": 2048, "height": 1024}, {"url": "b"}]}
    measured = run_cost("fal-ai/flux/schnell", None, made, {"prompt": "x"})
    assert measured["billable_units"] == 2.0  # 2 MP; the image without a size tells nothing
    assert measured["cost"] == cost_of("fal-ai/flux/schnell", 2.0)
    # An answer without sizes: what the input asked for (two images of 1 MP at most).
    asked = {"num_images": 2, "image_size": {"width": 512, "height": 512}}
    assert run_cost("fal-ai/flux/schnell", None, {"images": []}, asked)["billable_units"] == 2.0
    # Unpriced: no cost rather than a guess.
    assert run_cost("acme/unpriced", None, made, {})["cost"] is None
