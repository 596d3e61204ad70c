"""The figures behind the usage page: percentiles from the histogram, one scan or several
giving the same groups, chart scales."""

from __future__ import annotations

import pytest
from django.db import connection

from playground.usage import charts
from playground.usage.models import LATENCY_BUCKETS, UsageDay
from playground.usage.report import Figures, UsageFilters, grouped, grouped_sets, percentile

pytestmark = pytest.mark.django_db


def histogram(**counts: int) -> list[int]:
    return [counts.get(name, 0) for name in LATENCY_BUCKETS]


def test_percentiles_interpolate_within_the_histograms_buckets():
    # 90 requests between 500 and 750 ms, 10 between 5 and 7.5 s.
    buckets = histogram(lat_05=90, lat_12=10)

    assert percentile(buckets, 0.5) == pytest.approx(500 + 250 * 50 / 90)
    assert percentile(buckets, 0.95) == pytest.approx(5000 + 2500 * 5 / 10)
    assert percentile(histogram(), 0.5) is None
    assert percentile(histogram(lat_19=3), 0.5) == 120_000  # open-ended: its lower bound


def test_figures_add_up_and_say_their_rates():
    one = Figures(
        requests=3, errors=1, latency_count=3, latency_sum=900, buckets=histogram(lat_02=3)
    )
    two = Figures(requests=1, queue_count=1, queue_sum=50, buckets=histogram(lat_03=1))

    both = one + two

    assert (both.requests, both.errors, both.error_rate) == (4, 1, 0.25)
    assert (both.latency_avg, both.queue_avg) == (300, 50)
    assert both.buckets[2:4] == [3, 1]


@pytest.mark.parametrize(("value", "top"), [(0, 1), (3, 5), (7, 10), (0.12, 0.2), (2400, 2500)])
def test_chart_scales_end_on_a_round_number(value, top):
    assert charts.nice_ceiling(value) == pytest.approx(top)


def test_a_chart_of_days_has_a_column_per_day_with_a_value(alice):
    filters = UsageFilters.from_query({"days": "7"})
    chart = charts.columns(filters.days, [("ok", "ok", [0, 1, 2, 0, 0, 4, 0])], charts.count)

    assert len(chart.bars) == 3
    assert max(bar.height for bar in chart.bars) == pytest.approx(charts.PLOT * 4 / 5)
    assert [line.label for line in chart.gridlines] == ["0", "2.5", "5"]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="GROUPING SETS: Postgres only")
def test_one_scan_with_grouping_sets_gives_what_a_query_each_gives(alice, log):
    for n in range(12):
        log(alice, endpoint_id=f"fal-ai/m{n % 3}", entrance=("proxy", "gateway")[n % 2],
            days_ago=n % 4, latency_ms=100 * n, status=500 if n == 5 else 200)  # fmt: skip
    rows = UsageDay.objects.filter(user_id=alice.pk)
    sets = [("day", "entrance"), ("endpoint_id",), ("user_id",)]

    together = grouped_sets(rows, sets)

    for found, by in zip(together, sets, strict=True):
        assert [(k, vars(f)) for k, f in found] == [(k, vars(f)) for k, f in grouped(rows, *by)]
