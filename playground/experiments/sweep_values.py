"""Turning the values a sweep axis is given into the values its field takes.

Values come as a range "1..2 step 0.1" (exact, through Decimal), a comma list "1, 2.5, 4" or
a JSON list. `_Shape` is what the field takes, read across its union branches; typed text
becomes a number, a boolean ("on", "yes") or, in size unions, {"width", "height"} from
"1024x768". What does not fit stays as typed, and the schema check says why.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from playground.catalog.formgen.resolve import is_null, union_list
from playground.experiments.plan_error import PlanError, _check_cap
from playground.experiments.schema_check import _resolved
from playground.experiments.value_text import TIMES

_NUMBER = r"[-+]?(?:\d+(?:\.\d+)?|\.\d+)"
_RANGE = re.compile(rf"^\s*({_NUMBER})\s*\.\.\s*({_NUMBER})\s*(?:step\s+({_NUMBER}))?\s*$", re.I)
_IS_NUMBER = re.compile(rf"^{_NUMBER}$")
_SIZE = re.compile(rf"^(\d+)\s*[x{TIMES}]\s*(\d+)$", re.I)
_BOOLEANS = {"true": True, "yes": True, "on": True, "false": False, "no": False, "off": False}


def _sweep_values(field: str, shape: _Shape, raw: Any) -> list[Any]:
    """The values an axis takes, from a JSON list, a range string or a comma list."""
    if isinstance(raw, list):
        return [_coerce(item, shape) for item in raw]
    if not isinstance(raw, str):
        raise PlanError(f"{field}: give the values as a list or a range", field=field)
    found = _RANGE.match(raw)
    if found is None:
        return [_coerce(token, shape) for token in _split_list(raw)]
    if not shape.numeric:
        raise PlanError(f"{field}: ranges are for numbers; list the values", field=field)
    start, end, step = (Decimal(part) for part in found.groups("1"))
    return [shape.number(value) for value in _expand_range(field, start, end, step, shape)]


def _expand_range(field: str, start: Decimal, end: Decimal, step: Decimal, shape: _Shape):
    """start, start ± step, ... up to end (included when it lands on a step). Decimal keeps
    the values exact: 1..2 step 0.1 ends at 2.0, not 1.9999999999999998."""
    if step <= 0:
        raise PlanError(f"{field}: the step must be above 0", field=field)
    if shape.integer_only and any(part != part.to_integral_value() for part in (start, step)):
        raise PlanError(f"{field} takes whole numbers; use a whole step", field=field)
    try:
        count = int(abs(end - start) // step) + 1
    except InvalidOperation:  # a quotient past Decimal's 28 digits: far over any cap
        raise PlanError(f"{field}: that range has far too many values", field=field) from None
    _check_cap(count, field=field)  # before building a million values
    direction = 1 if end >= start else -1
    return [start + direction * step * index for index in range(count)]


@dataclass(frozen=True)
class _Shape:
    """What a field takes, as far as turning typed text into values needs."""

    types: frozenset[str]
    sized: bool  # a branch is an object with width and height (image_size)

    @classmethod
    def of(cls, node: dict, root: dict) -> _Shape:
        types: set[str] = set()
        sized = False
        for branch in union_list(node) or [node]:
            branch = _resolved(branch, root)
            if is_null(branch):
                continue
            types |= _types_of(branch)
            sized = sized or {"width", "height"} <= set(branch.get("properties") or {})
        return cls(frozenset(types), sized)

    @property
    def numeric(self) -> bool:
        return bool(self.types & {"integer", "number"})

    @property
    def integer_only(self) -> bool:
        return "integer" in self.types and "number" not in self.types

    @property
    def sweepable(self) -> bool:
        objects_ok = self.sized or "object" not in self.types
        return "array" not in self.types and objects_ok

    def number(self, value: Decimal) -> int | float:
        """An int for whole values of integer fields and for numbers written without a
        decimal point; a float otherwise (Decimal keeps how many decimals were written)."""
        exponent = value.as_tuple().exponent  # 0 for "2", -1 for "2.0"
        written_whole = isinstance(exponent, int) and exponent >= 0
        if value == value.to_integral_value() and (self.integer_only or written_whole):
            return int(value)
        return float(value)


def _types_of(branch: dict) -> set[str]:
    kind = branch.get("type")
    if isinstance(kind, str):
        return {kind}
    if isinstance(kind, list):
        return {each for each in kind if isinstance(each, str) and each != "null"}
    if isinstance(branch.get("enum"), list):
        return {_json_type(value) for value in branch["enum"] if value is not None}
    return {"object"} if "properties" in branch else set()


def _coerce(item: Any, shape: _Shape) -> Any:
    """A typed or listed value as the field takes it; what does not fit stays as it is
    and the schema check says why."""
    if isinstance(item, float) and shape.integer_only and item.is_integer():
        return int(item)
    if not isinstance(item, str):
        return item
    text = item.strip()
    if shape.numeric and _IS_NUMBER.match(text):
        return shape.number(Decimal(text))
    if "boolean" in shape.types and text.lower() in _BOOLEANS:
        return _BOOLEANS[text.lower()]
    size = _SIZE.match(text) if shape.sized else None
    if size:
        return {"width": int(size.group(1)), "height": int(size.group(2))}
    return item


def _split_list(text: str) -> list[str]:
    return [token.strip() for token in text.split(",") if token.strip()]


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    return "string" if isinstance(value, str) else "object"
