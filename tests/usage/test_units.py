"""Cost per pricing unit: units estimated from an input, measured on what a run made, and
priced (usage/units.py, usage/prices.py)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from playground.usage.models import Unit
from playground.usage.prices import Quote, usd
from playground.usage.units import Made, estimate, measure, normalize_unit


def cost(unit: str, price: str, units: float | None) -> Decimal | None:
    return Quote("x/y", unit, Decimal(price)).cost(units)


@pytest.mark.parametrize(
    ("unit", "price", "data", "expected"),
    [
        (Unit.IMAGE, "0.04", {"num_images": 3}, "0.120000"),
        (Unit.MEGAPIXEL, "0.025", {"image_size": "landscape_4_3"}, "0.025000"),  # 0.75 MP -> 1
        (Unit.MEGAPIXEL, "0.025", {"image_size": "square_hd", "num_images": 2}, "0.050000"),
        # 2048 x 1024 is 2 megapixels; 1100 x 1000 rounds up to 2 as well.
        (Unit.MEGAPIXEL, "0.025", {"image_size": {"width": 2048, "height": 1024}}, "0.050000"),
        (Unit.MEGAPIXEL, "0.01", {"image_size": {"width": 1100, "height": 1000}}, "0.020000"),
        (Unit.SECOND, "0.28", {"duration": "10"}, "2.800000"),
        (Unit.SECOND, "0.4", {"duration": "8s"}, "3.200000"),
        (Unit.MINUTE, "3", {"duration": 30}, "1.500000"),
        (Unit.VIDEO, "0.2", {"duration": "8"}, "0.200000"),
        (Unit.KILO_CHARACTER, "0.1", {"text": "x" * 2500}, "0.250000"),
        (Unit.CHARACTER, "0.00003", {"text": "hello"}, "0.000150"),
        (Unit.REQUEST, "2", {"steps": 1000}, "2.000000"),
    ],
)
def test_an_input_is_priced_in_its_endpoint_s_unit(unit, price, data, expected):
    assert cost(unit, price, estimate(unit, data)) == Decimal(expected)


def test_schema_defaults_stand_in_for_what_the_input_leaves_out():
    schema = {"properties": {"image_size": {"default": "square"}, "num_images": {"default": 4}}}
    assert estimate(Unit.MEGAPIXEL, {}, schema) == 4.0  # 512 x 512 bills as one megapixel
    assert estimate(Unit.IMAGE, {"num_images": 2}, schema) == 2.0


def test_units_only_the_output_can_tell_are_unknown_before_the_run():
    assert estimate(Unit.SECOND, {"text": "hello"}) is None  # speech not yet spoken
    assert estimate(Unit.COMPUTE_SECOND, {}) is None
    assert cost(Unit.SECOND, "0.1", None) is None


def test_a_finished_run_is_measured_on_what_it_made():
    made = Made(images=[(1024, 1024), (2048, 1536)], video_seconds=[5.0], audio_seconds=[2.5])
    assert measure(Unit.IMAGE, {}, made) == 2.0
    assert measure(Unit.MEGAPIXEL, {}, made) == 1.0 + 3.0
    assert measure(Unit.SECOND, {}, made) == 5.0  # the video, not its audio track
    assert measure(Unit.SECOND, {"duration": "10"}, made) == 10.0  # what was asked is billed
    assert measure(Unit.SECOND, {}, Made(audio_seconds=[2.5])) == 2.5
    assert measure(Unit.MINUTE, {}, Made(audio_seconds=[90.0])) == 1.5
    assert measure(Unit.VIDEO, {}, made) == 1.0
    assert measure(Unit.COMPUTE_SECOND, {}, Made(compute_seconds=1.25)) == 1.25
    assert measure(Unit.REQUEST, {}, Made()) == 1.0


@pytest.mark.parametrize(
    ("spelling", "unit"),
    [
        ("images", Unit.IMAGE),
        ("Megapixels", Unit.MEGAPIXEL),
        ("video_second", Unit.SECOND),
        ("per second", Unit.SECOND),
        ("1000 characters", Unit.KILO_CHARACTER),
        ("gpu_second", Unit.COMPUTE_SECOND),
        ("request", Unit.REQUEST),
        ("tokens", None),
        ("", None),
    ],
)
def test_fal_s_spellings_of_units_map_to_one_each(spelling, unit):
    assert normalize_unit(spelling) == unit


@pytest.mark.parametrize(
    ("amount", "shown"),
    [("0.025", "$0.025"), ("3.2", "$3.20"), ("0.0004", "$0.0004"), ("0", "$0.00"),
     ("12", "$12.00"), ("0.00001", "< $0.0001")],
)  # fmt: skip
def test_dollars_are_shown_with_cents_and_no_noise(amount, shown):
    assert usd(Decimal(amount)) == shown
