"""Input value -> the form's posted data: prefills the form (Load example, JSON view -> form,
reuse parameters). The inverse of decode, with the normalisation documented there.

A union value goes to the first branch it fits (a preset name to the enum branch, a
{width, height} to the object branch). Values the form cannot hold (a string where an
object is expected) are dropped rather than raised on: the JSON view may hold anything.
"""

from __future__ import annotations

import json
from typing import Any

from . import freeform
from .build import build_form, join
from .spec import (
    ARRAY,
    BLANK_EMPTY,
    BLANK_NULL,
    BOOLEAN,
    CONST,
    ENUM,
    FILE,
    INTEGER,
    JSON,
    NUMBER,
    OBJECT,
    STRING,
    UNION,
    FieldSpec,
)
from .trace import Trace


def encode(schema: dict[str, Any], value: Any) -> dict[str, list[str]]:
    """The names and values a browser would post for `value`."""
    if freeform.is_freeform(schema):
        return freeform.encode_value(value)
    return _Encoder().run(build_form(schema).fields, value).posted


def trace_for(schema: dict[str, Any], value: Any) -> Trace:
    """Which form input holds each part of `value` (for validate's error paths)."""
    return _Encoder().run(build_form(schema).fields, value).trace


class _Encoder:
    def __init__(self) -> None:
        self.posted: dict[str, list[str]] = {}
        self.trace = Trace()

    def run(self, fields: list[FieldSpec], value: Any) -> _Encoder:
        if isinstance(value, dict):
            self._children(fields, value, "", "")
        return self

    def _children(self, fields: list[FieldSpec], value: dict, name: str, out: str) -> None:
        for field in fields:
            if field.name in value:
                self._put(field, value[field.name], join(name, field.name), join(out, field.name))

    def _put(self, field: FieldSpec, value: Any, name: str, out: str) -> None:
        self.trace.names[out] = name
        self._emit(field, value, name, out)

    def _emit(self, field: FieldSpec, value: Any, name: str, out: str) -> None:
        if _is_blank(field, value) and field.kind == ENUM:
            self.posted[name] = ["null"]  # the choice "None"
        elif _is_blank(field, value):
            self.posted[name] = [""]
            self.posted[f"{name}:blank"] = ["true"]  # sent as is, not left out
        elif value is None:
            if field.kind not in (OBJECT, ARRAY, UNION):
                self.posted[name] = [""]  # null is an empty input (see decode)
        elif field.kind == OBJECT:
            if isinstance(value, dict):
                if field.addable:
                    self.posted[name] = [""]  # added, even when every member is empty
                self._children(field.children, value, name, out)
        elif field.kind == ARRAY:
            if isinstance(value, list) and field.item is not None:
                for i, row in enumerate(value):
                    self._row(field.item, row, f"{name}.{i}", f"{out}.{i}")
        elif field.kind == UNION:
            self._union(field, value, name, out)
        else:
            self.posted[name] = [leaf_text(field, value)]

    def _row(self, item: FieldSpec, value: Any, name: str, out: str) -> None:
        before = len(self.posted)
        self._put(item, value, name, out)
        if len(self.posted) == before:
            # A row with nothing to post ({} whose fields all default) still exists:
            # its bare row name makes decode count it.
            self.posted[name] = [""]

    def _union(self, field: FieldSpec, value: Any, name: str, out: str) -> None:
        if not field.branches:
            return
        k = branch_index(field, value)
        self.posted[f"{name}:branch"] = [str(k)]
        self.trace.inner[out] = f"{name}:{k}"
        self.trace.branches[out] = k
        self._emit(field.branches[k].field, value, f"{name}:{k}", out)


def _is_blank(field: FieldSpec, value: Any) -> bool:
    if field.blank == BLANK_NULL:
        return value is None
    return field.blank == BLANK_EMPTY and value == ""


def leaf_text(field: FieldSpec, value: Any) -> str:
    """How a browser spells `value` in this field's input."""
    if field.kind == JSON:
        return json.dumps(value, ensure_ascii=False)
    if field.kind in (ENUM, CONST):
        return choice_text(value)
    if field.kind == BOOLEAN and isinstance(value, bool):
        return "true" if value else "false"
    if field.kind in (INTEGER, NUMBER):
        return number_text(value)
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def choice_text(value: Any) -> str:
    """An enum value as posted: strings as they are, other values as JSON (1, true, null)."""
    return value if isinstance(value, str) else json.dumps(value)


def number_text(value: Any) -> str:
    # repr keeps "3.0" a float and "3" an int, so the JSON type survives the round trip.
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    return repr(value)


def branch_index(field: FieldSpec, value: Any) -> int:
    """The first branch that fits `value` exactly, else the first of the right shape, else 0."""
    for strict in (True, False):
        for k, branch in enumerate(field.branches):
            if fits(branch.field, value, strict):
                return k
    return 0


def fits(field: FieldSpec, value: Any, strict: bool = True) -> bool:
    kind = field.kind
    if kind == OBJECT:
        names = {c.name for c in field.children}
        return isinstance(value, dict) and (not strict or set(value) <= names)
    if kind == ARRAY:
        return isinstance(value, list)
    if kind in (STRING, FILE):
        return isinstance(value, str)
    if kind == BOOLEAN:
        return isinstance(value, bool)
    if kind in (INTEGER, NUMBER):
        return _is_number(value) and (kind == NUMBER or float(value).is_integer())
    if kind == ENUM:
        return any(same(c.value, value) for c in field.choices)
    if kind == CONST:
        return same(field.const, value)
    if kind == UNION:
        return any(fits(b.field, value, strict) for b in field.branches)
    return kind == JSON


def same(a: Any, b: Any) -> bool:
    """JSON equality: 1 == 1.0, but true != 1 and "1" != 1."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if _is_number(a) and _is_number(b):
        return a == b
    return type(a) is type(b) and a == b


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
