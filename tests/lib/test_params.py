from __future__ import annotations

from datetime import date

import pytest

from playground.lib.params import MAX_ID, parse_day, parse_id


@pytest.mark.parametrize(
    "value", ["²", "٣", "9" * 20, str(MAX_ID + 1), "0", "-1", " 1", "", None, 7]
)
def test_junk_ids_read_as_none(value):
    assert parse_id(value) is None


def test_ids_in_bigint_range_are_read():
    assert (parse_id("1"), parse_id(str(MAX_ID))) == (1, MAX_ID)


@pytest.mark.parametrize(
    "value", ["9999-12-31", "0001-01-01", "2024-02-30", "garbage", "²০২৪-01-01", "", None]
)
def test_days_that_do_not_parse_or_would_overflow_read_as_none(value):
    assert parse_day(value) is None


def test_ordinary_days_are_read():
    assert parse_day("2024-02-29") == date(2024, 2, 29)
