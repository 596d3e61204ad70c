"""JSON Schema validation that cannot hang: bounded `pattern`s, a deadline, off the loop.

Schemas come from fal's documents (or anyone's, through `import_schemas`), and their
`pattern`s are regular expressions. jsonschema runs them with Python's `re`, which
backtracks without limit and holds the GIL while it does: `^(a+)+$` against 40 "a"s and a
"!" stops the whole process, event loop included, for hours. So:

- Patterns run on the `regex` module with a timeout per match, releasing the GIL
  (`pattern`, `patternProperties`, `additionalProperties` are replaced here).
- Patterns with nested quantifiers (the shape of catastrophic backtracking) or that do
  not compile are dropped: from schemas at import (`vet_schema`, noted in the report)
  and skipped when validating with a schema stored before.
- One whole validation has a deadline (`CheckTimedOut` past it), and async callers run
  it in a thread (`check_off_loop`).
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import copy
import logging
import re
import time
from collections.abc import Callable, Iterator
from functools import cache, lru_cache
from typing import Any, TypeVar

import regex
from jsonschema import Draft202012Validator, ValidationError
from jsonschema._utils import extras_msg
from jsonschema.validators import extend, validator_for

log = logging.getLogger(__name__)
T = TypeVar("T")

PATTERN_SECONDS = 0.05  # one pattern against one value
CHECK_SECONDS = 1.0  # a whole input against its schema
TIMED_OUT = "patternTimeout"  # the `validator` of the error for a match that ran out of time
_deadline: contextvars.ContextVar[float | None] = contextvars.ContextVar("deadline", default=None)


class CheckTimedOut(Exception):
    """The input could not be checked against its schema within CHECK_SECONDS."""

    def __init__(self) -> None:
        super().__init__("The input took too long to check against the model's schema.")


# --- vetting patterns ----------------------------------------------------------------------


@lru_cache(maxsize=2048)
def pattern_problem(pattern: str) -> str | None:
    """Why `pattern` must not be used (it does not compile, or it can take exponential
    time), or None when it is fine."""
    try:
        regex.compile(pattern)
    except (regex.error, TypeError, ValueError, RecursionError, OverflowError):
        return "it is not a valid regular expression"
    if _nested_quantifier(pattern):
        return "it nests quantifiers, which can take exponential time"
    return None


def _nested_quantifier(pattern: str) -> bool:
    """A repeated part that itself repeats, as in `(a+)+`, `(\\w+\\s?)*` or `(.*a){20}`.
    Parsed with Python's own parser; a pattern only `regex` understands (e.g. `\\p{L}`)
    is left to the match timeout."""
    from re import _parser  # the stdlib's parser: the same tree `re` would run

    try:
        tree = _parser.parse(pattern)
    except (re.error, RecursionError, OverflowError, ValueError):
        return False
    return _repeats_inside(list(tree), inside=False)


def _repeats_inside(items: list[Any], *, inside: bool) -> bool:
    from re import _constants as sre

    for op, arg in items:
        if op in (sre.MAX_REPEAT, sre.MIN_REPEAT):
            _, high, body = arg
            repeats = high > 1
            if repeats and inside:
                return True
            if _repeats_inside(list(body), inside=inside or repeats):
                return True
        else:
            for child in _children(op, arg):
                if _repeats_inside(child, inside=inside):
                    return True
    return False


def _children(op: Any, arg: Any) -> Iterator[list[Any]]:
    from re import _constants as sre

    if op is sre.SUBPATTERN:
        yield list(arg[-1])
    elif op is sre.BRANCH:
        yield from (list(branch) for branch in arg[1])
    elif op in (sre.ASSERT, sre.ASSERT_NOT):
        yield list(arg[1])
    elif op is sre.GROUPREF_EXISTS:
        yield from (list(branch) for branch in arg[1:] if branch is not None)
    # Atomic groups and possessive repeats never backtrack into themselves: safe.


def vet_schema(schema: Any) -> tuple[Any, list[str]]:
    """A copy of `schema` without unusable patterns, and a note for each one dropped."""
    vetted = copy.deepcopy(schema)
    notes: list[str] = []
    _vet(vetted, "", notes)
    return vetted, notes


def _vet(node: Any, where: str, notes: list[str]) -> None:
    if isinstance(node, list):
        for index, item in enumerate(node):
            _vet(item, f"{where}/{index}", notes)
        return
    if not isinstance(node, dict):
        return
    pattern = node.get("pattern")
    if isinstance(pattern, str) and pattern_problem(pattern):
        notes.append(f"{where or '/'}: dropped pattern {pattern!r}: {pattern_problem(pattern)}")
        del node["pattern"]
    patterns = node.get("patternProperties")
    if isinstance(patterns, dict):
        for key in [key for key in patterns if pattern_problem(key)]:
            notes.append(f"{where}/patternProperties: dropped {key!r}: {pattern_problem(key)}")
            del patterns[key]
    for key, value in node.items():
        if key not in ("enum", "const", "default", "examples"):  # values, not schemas
            _vet(value, f"{where}/{key}", notes)


# --- bounded matching ----------------------------------------------------------------------


@lru_cache(maxsize=2048)
def _compiled(pattern: str) -> regex.Pattern | None:
    if pattern_problem(pattern):
        log.warning("schema pattern %r ignored: %s", pattern[:200], pattern_problem(pattern))
        return None
    return regex.compile(pattern)


def _search(pattern: str, text: str) -> bool | None:
    """Whether `pattern` matches in `text`; None when the match ran out of time. Callers
    skip unusable patterns (the schema is broken, not the input)."""
    compiled = _compiled(pattern)
    if compiled is None:
        return False
    budget = PATTERN_SECONDS
    deadline = _deadline.get()
    if deadline is not None:
        left = deadline - time.monotonic()
        if left <= 0:
            raise CheckTimedOut
        budget = min(budget, left)
    try:
        return compiled.search(text, timeout=budget, concurrent=True) is not None
    except TimeoutError:
        if deadline is not None and time.monotonic() >= deadline:
            raise CheckTimedOut from None
        return None


def _usable(pattern: Any) -> bool:
    return isinstance(pattern, str) and _compiled(pattern) is not None


def _pattern(validator: Any, pattern: str, instance: Any, schema: Any) -> Iterator[ValidationError]:
    if not validator.is_type(instance, "string") or not _usable(pattern):
        return
    found = _search(pattern, instance)
    if found is None:
        yield ValidationError(
            f"This value took too long to check against the pattern {pattern!r}.",
            validator=TIMED_OUT,
        )
    elif not found:
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


def _pattern_properties(
    validator: Any, patterns: dict, instance: Any, schema: Any
) -> Iterator[ValidationError]:
    if not validator.is_type(instance, "object"):
        return
    for pattern, subschema in patterns.items():
        if not _usable(pattern):
            continue
        for key, value in instance.items():
            if _search(pattern, key):
                yield from validator.descend(value, subschema, path=key, schema_path=pattern)


def _additional_properties(
    validator: Any, allowed: Any, instance: Any, schema: Any
) -> Iterator[ValidationError]:
    """jsonschema's own, with the patternProperties lookup bounded."""
    if not validator.is_type(instance, "object"):
        return
    properties = schema.get("properties", {})
    patterns = [pattern for pattern in schema.get("patternProperties", {}) if _usable(pattern)]
    extras = {
        key
        for key in instance
        if key not in properties and not any(_search(pattern, key) for pattern in patterns)
    }
    if validator.is_type(allowed, "object"):
        for extra in extras:
            yield from validator.descend(instance[extra], allowed, path=extra)
    elif not allowed and extras:
        if patterns:
            joined = ", ".join(repr(each) for each in sorted(extras))
            listed = ", ".join(repr(each) for each in sorted(patterns))
            yield ValidationError(f"{joined} do not match any of the regexes: {listed}")
        else:
            message = "Additional properties are not allowed (%s %s unexpected)"
            yield ValidationError(message % extras_msg(sorted(extras, key=str)))


@cache
def _bounded(base: type) -> type:
    return extend(
        base,
        {
            "pattern": _pattern,
            "patternProperties": _pattern_properties,
            "additionalProperties": _additional_properties,
        },
    )


def bounded_validator(schema: Any, **kwargs: Any) -> Any:
    """A validator for `schema` (its own draft, else 2020-12) with bounded patterns."""
    base = validator_for(schema, default=Draft202012Validator)
    return _bounded(base)(schema, **kwargs)


# --- deadlines -----------------------------------------------------------------------------


@contextlib.contextmanager
def time_limit(seconds: float | None = None) -> Iterator[None]:
    """Within this block pattern matching raises CheckTimedOut after `seconds` (default
    CHECK_SECONDS; a limit already running, e.g. from `check_off_loop`, is kept if it ends
    sooner)."""
    current = _deadline.get()
    deadline = time.monotonic() + (CHECK_SECONDS if seconds is None else seconds)
    token = _deadline.set(deadline if current is None else min(current, deadline))
    try:
        yield
    finally:
        _deadline.reset(token)


async def check_off_loop(check: Callable[..., T], *args: Any, seconds: float | None = None) -> T:
    """`check(*args)` in a thread, under `time_limit(seconds)`; CheckTimedOut when it is
    not done a moment after that (the thread then stops at its next pattern)."""
    seconds = CHECK_SECONDS if seconds is None else seconds

    def run() -> T:
        with time_limit(seconds):
            return check(*args)

    try:
        return await asyncio.wait_for(asyncio.to_thread(run), timeout=seconds + 1.0)
    except TimeoutError:
        raise CheckTimedOut from None
