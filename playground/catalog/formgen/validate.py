"""Validate an input against its exact schema; report errors at the form's field paths.

jsonschema reports where in the *value* something is wrong; the form needs the *input*
that holds it. A Trace (trace.py) maps one to the other.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from jsonschema import ValidationError

from playground.lib.schemaguard import TIMED_OUT, CheckTimedOut, bounded_validator, time_limit

from .build import join
from .encode import trace_for
from .resolve import is_null
from .trace import Trace

ROOT = "__all__"  # errors about the input as a whole (Django's non-field errors key)
REQUIRED = "This field is required."
_MAX_QUOTED = 80  # jsonschema quotes the offending value; hostile values can be huge


def validate(
    schema: dict[str, Any], value: Any, trace: Trace | None = None
) -> dict[str, list[str]]:
    """Errors by field path ({} when valid). Without a trace, paths are derived from value.

    Bounded in time (lib/schemaguard.py): past the limit the input as a whole is refused."""
    if trace is None:
        trace = trace_for(schema, value)
    errors: dict[str, list[str]] = {}
    try:
        with time_limit():
            for error in bounded_validator(schema).iter_errors(value):
                _collect(error, trace, errors)
    except CheckTimedOut as exc:
        return {ROOT: [str(exc)]}
    return errors


def _collect(error: ValidationError, trace: Trace, errors: dict[str, list[str]]) -> None:
    where = _value_path(error.absolute_path)
    if error.validator == "required":
        for name in _missing(error):
            _add(errors, field_path(trace, join(where, name)), REQUIRED)
    elif error.validator in ("anyOf", "oneOf") and error.context:
        _collect_union(error, where, trace, errors)
    else:
        _add(errors, field_path(trace, where), message(error))


def _collect_union(
    error: ValidationError, where: str, trace: Trace, errors: dict[str, list[str]]
) -> None:
    """Report the errors of the branch the user meant, at that branch's inputs."""
    branches = error.validator_value if isinstance(error.validator_value, list) else []
    real = [i for i, b in enumerate(branches) if not is_null(b)]
    chosen = trace.branches.get(where)
    if len(real) == 1:
        index = real[0]  # anyOf [X, null]: the form field is X itself
    elif chosen is not None and chosen < len(real):
        index = real[chosen]
    else:
        index = _deep_branch(error.context or [])
    group = [e for e in error.context or [] if e.schema_path and e.schema_path[0] == index]
    if index is None or not group:
        _add(errors, field_path(trace, where), "Enter a valid value.")
        return
    for sub in group:
        if list(sub.absolute_path) == list(error.absolute_path) and sub.validator != "required":
            # A branch-level error belongs to the branch's own input, e.g. "aspect_ratio:1".
            path = trace.inner.get(where) or field_path(trace, where)
            _add(errors, path, message(sub))
        else:
            _collect(sub, trace, errors)


def _deep_branch(context: Iterable[ValidationError]) -> int | None:
    """Without a recorded choice: the branch whose value had the right shape."""
    shallow: set[Any] = set()
    deep: list[Any] = []
    for sub in context:
        branch = sub.schema_path[0] if sub.schema_path else None
        if sub.relative_path:
            deep.append(branch)
        else:
            shallow.add(branch)
    candidates = [b for b in deep if b not in shallow]
    return candidates[0] if candidates else None


def _missing(error: ValidationError) -> list[str]:
    required = error.validator_value if isinstance(error.validator_value, list) else []
    instance = error.instance if isinstance(error.instance, dict) else {}
    return [name for name in required if isinstance(name, str) and name not in instance]


def field_path(trace: Trace, where: str) -> str:
    """The form path for a value path: the longest traced prefix plus the rest."""
    if where in trace.names:
        return trace.names[where] or ROOT
    head, rest = where, ""
    while head:
        head, _, last = head.rpartition(".")
        rest = f"{last}.{rest}" if rest else last
        base = trace.inner.get(head, trace.names.get(head))
        if base is not None:
            return join(base, rest)
    return where or ROOT


_MESSAGES = {
    "minimum": "Ensure this value is at least {}.",
    "maximum": "Ensure this value is at most {}.",
    "exclusiveMinimum": "Ensure this value is greater than {}.",
    "exclusiveMaximum": "Ensure this value is less than {}.",
    "multipleOf": "Ensure this value is a multiple of {}.",
    "minLength": "Ensure this value has at least {} characters.",
    "maxLength": "Ensure this value has at most {} characters.",
    "pattern": "Enter a value matching the pattern {}.",
    TIMED_OUT: "This value took too long to check against its pattern.",
    "minItems": "Ensure this list has at least {} items.",
    "maxItems": "Ensure this list has at most {} items.",
    "enum": "Select a valid choice.",
    "const": "Select a valid choice.",
    "uniqueItems": "Remove the duplicate items.",
    "type": "Enter a valid {}.",
}
_TYPE_NAMES = {"integer": "whole number", "string": "text", "boolean": "yes/no"}


def message(error: ValidationError) -> str:
    """A Django-style sentence for one jsonschema error."""
    limit = error.validator_value
    if error.validator == "minLength" and limit == 1:
        return "This field cannot be empty."
    template = _MESSAGES.get(str(error.validator))
    if template is None:
        text = error.message  # quotes the value, which may be huge
        return text if len(text) <= _MAX_QUOTED else text[:_MAX_QUOTED] + "…"
    return template.format(_type_name(limit) if error.validator == "type" else _num(limit))


def _type_name(kind: Any) -> str:
    kinds = kind if isinstance(kind, list) else [kind]
    names = [_TYPE_NAMES.get(k, k) for k in kinds if isinstance(k, str) and k != "null"]
    return " or ".join(names) or "value"


def _num(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _value_path(parts: Iterable[Any]) -> str:
    return ".".join(str(p) for p in parts)


def _add(errors: dict[str, list[str]], path: str, text: str) -> None:
    bucket = errors.setdefault(path, [])
    if text not in bucket:
        bucket.append(text)
