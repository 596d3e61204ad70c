"""Schema patterns that could hang the process are dropped or cut short (S12)."""

from __future__ import annotations

import pytest

from playground.lib import schemaguard
from playground.lib.schemaguard import (
    TIMED_OUT,
    CheckTimedOut,
    bounded_validator,
    pattern_problem,
    time_limit,
    vet_schema,
)

HOSTILE = "a" * 40 + "!"


@pytest.mark.parametrize("pattern", [r"^(a+)+$", r"^(\w+\s?)*$", r"(.*a){20}", r"^((ab)*c)*$"])
def test_nested_quantifiers_are_a_problem(pattern):
    assert "nests quantifiers" in pattern_problem(pattern)


def test_a_pattern_that_does_not_compile_is_a_problem():
    assert "not a valid regular expression" in pattern_problem("(unclosed")


@pytest.mark.parametrize(
    "pattern", [r"^\d{4}-\d{2}-\d{2}$", r"^(foo|bar)$", r"^#[0-9a-f]{6}$", r"^(\.\d+)?$", r"\p{L}+"]
)
def test_ordinary_patterns_are_fine(pattern):
    assert pattern_problem(pattern) is None


def test_vetting_drops_bad_patterns_and_says_where():
    schema = {
        "properties": {
            "code": {"type": "string", "pattern": r"^(a+)+$"},
            "date": {"type": "string", "pattern": r"^\d{4}$"},
            "tags": {"type": "object", "patternProperties": {"(": {}, "^x-": {}}},
        }
    }

    vetted, notes = vet_schema(schema)

    assert "pattern" not in vetted["properties"]["code"]
    assert vetted["properties"]["date"]["pattern"] == r"^\d{4}$"
    assert list(vetted["properties"]["tags"]["patternProperties"]) == ["^x-"]
    assert notes == [
        "/properties/code: dropped pattern '^(a+)+$': it nests quantifiers, "
        "which can take exponential time",
        "/properties/tags/patternProperties: dropped '(': it is not a valid regular expression",
    ]
    assert schema["properties"]["code"]["pattern"] == r"^(a+)+$"  # the original is untouched


@pytest.mark.timeout(30, method="thread")
def test_a_stored_nested_quantifier_is_skipped_when_validating():
    schema = {"type": "string", "pattern": r"^(a+)+$"}

    assert list(bounded_validator(schema).iter_errors(HOSTILE)) == []


@pytest.mark.timeout(30, method="thread")
def test_a_match_that_runs_too_long_is_an_error_of_its_own():
    # Overlapping alternatives pass the static check; the match timeout stops them.
    schema = {"type": "string", "pattern": r"^(a|aa)+$"}

    (error,) = bounded_validator(schema).iter_errors(HOSTILE)

    assert error.validator == TIMED_OUT


@pytest.mark.timeout(30, method="thread")
def test_pattern_properties_and_additional_properties_are_bounded_too():
    schema = {"type": "object", "patternProperties": {"^(a|aa)+$": {"type": "integer"}}}
    closed = {**schema, "additionalProperties": False}

    assert list(bounded_validator(schema).iter_errors({HOSTILE: "x"})) == []
    (error,) = bounded_validator(closed).iter_errors({HOSTILE: 1})
    assert error.validator == "additionalProperties"


def test_past_the_deadline_the_whole_check_stops(monkeypatch):
    schema = {"type": "array", "items": {"type": "string", "pattern": r"^(a|aa)+$"}}

    with pytest.raises(CheckTimedOut), time_limit(0):
        list(bounded_validator(schema).iter_errors([HOSTILE] * 3))


async def test_checks_off_the_loop_return_their_answer():
    assert await schemaguard.check_off_loop(pattern_problem, r"^(a+)+$")
