"""Ids and days from query strings and forms: junk reads as None, never as a 500.

`str.isdigit()` is no guard for `int()`: "²" is a digit to it, and `int("²")` raises. A
20-digit id passes both, then overflows the database's bigint. A day at the edge of the
calendar (9999-12-31) parses, then overflows the moment a filter adds a day to it.
"""

from __future__ import annotations

from datetime import date

from django.utils.dateparse import parse_date

MAX_ID = 2**63 - 1  # the largest value of a BigAutoField (a signed 64-bit integer)
# Days a filter may name: one day of margin at each end of Python's calendar, so "the
# day after" and "the day before" (and a time zone's offset) stay representable.
FIRST_DAY = date(1, 1, 2)
LAST_DAY = date(9999, 12, 30)


def parse_id(value: object) -> int | None:
    """A database id (a positive bigint) written in ASCII digits, else None."""
    if not isinstance(value, str) or not value.isascii() or not value.isdigit():
        return None
    if len(value) > len(str(MAX_ID)):
        return None
    number = int(value)
    return number if 0 < number <= MAX_ID else None


def parse_day(value: object) -> date | None:
    """A calendar day written YYYY-MM-DD, within FIRST_DAY..LAST_DAY, else None."""
    if not isinstance(value, str) or not value.isascii() or len(value) > 10:
        return None
    try:
        day = parse_date(value)
    except ValueError:  # well formed but not a day, e.g. 2024-02-30
        return None
    return day if day is not None and FIRST_DAY <= day <= LAST_DAY else None
