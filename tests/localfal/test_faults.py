from __future__ import annotations

import pytest

from playground.localfal.faults import FaultBook, FaultSyntaxError, parse


def test_rules_parse_into_routes_actions_and_counts():
    rules = parse("submit:503*2, status:500, stream:drop, result:slow=1.5, app:fail, key=abc")
    assert [(r.route, r.action, r.count) for r in rules] == [
        ("submit", "503", 2),
        ("status", "500", None),
        ("stream", "drop", None),
        ("result", "slow", None),
        ("app", "fail", None),
    ]
    assert rules[0].status_code == 503
    assert rules[3].seconds == 1.5


@pytest.mark.parametrize("bad", ["nowhere:503", "submit", "submit:200", "submit:boom", "run:503*x"])
def test_bad_rules_are_refused(bad):
    with pytest.raises(FaultSyntaxError):
        parse(bad)


def test_counted_rules_fire_only_as_often_as_asked_per_source():
    book = FaultBook()
    rules = parse("submit:503*2")
    fired = [book.pick("submit", "A", rules) is not None for _ in range(4)]
    assert fired == [True, True, False, False]
    assert book.pick("submit", "B", rules) is not None  # another header, another counter
    assert book.pick("status", "C", rules) is None


def test_any_route_matches_every_call():
    book = FaultBook()
    rules = parse("any:500")
    assert book.pick("result", "x", rules).status_code == 500
