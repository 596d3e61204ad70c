"""Posted form data -> the input sent to fal, plus errors by field path.

Reads the names spec.py documents. The data may be a QueryDict or a plain
`dict[str, list[str] | str]`; names the form does not have are ignored, and nothing
posted can make decode raise (see `decode`). Conversions and normalisation: convert.py.

Details the naming scheme leaves open, decided here:
- `<path>:branch` absent: the first branch with any posted input is taken; posted but
  empty: no branch, so an optional union is left out (a "none" choice);
- a row exists when any name under `<array>.<i>` is posted, including the bare row name
  `<array>.<i>` itself (encode posts `loras.0=""` for a row like `{}` that has no inputs);
  only canonical indices count ("0", "7"; not "01", "-1", "x"), at most MAX_ROWS rows;
- an optional object is sent when anything under its name is posted (its bare name,
  posted by the form once the person adds it, counts): then even as `{}`;
- errors: decode's own ("Enter a number.") win over the schema's at the same path;
  errors about the input as a whole are keyed "__all__".
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from . import freeform
from .build import build_form, join
from .convert import Invalid, convert, off_type_default
from .spec import ARRAY, BLANK_NULL, CONST, FREEFORM, OBJECT, STRING, UNION, FieldSpec
from .trace import Trace
from .validate import ROOT, validate

logger = logging.getLogger(__name__)

MAX_ROWS = 1000  # rows per array; more is an attack or an accident, never a model input
MAX_NAME = 500  # no real field path is this long; longer names are ignored
MAX_SEGMENTS = 40
_ROW = re.compile(r"0|[1-9][0-9]{0,5}")  # canonical indices only: "01" and "-1" are junk
_SEP = re.compile(r"[.:]")
_MISSING: Any = object()  # "left out": the model's default applies


@dataclass
class Decoded:
    input: dict[str, Any]
    errors: dict[str, list[str]]  # field path -> messages; {} when input is valid


def decode(schema: dict[str, Any], data: Any) -> Decoded:
    """Never raises: a bug here must become a 422 for the user, not a 500."""
    try:
        return _decode(schema, data)
    except Exception:
        logger.exception("could not decode a posted form")
        return Decoded(input={}, errors={ROOT: ["The form could not be read."]})


def _decode(schema: dict[str, Any], data: Any) -> Decoded:
    if freeform.is_freeform(schema):
        return _decode_freeform(schema, data)
    decoder = _Decoder(_Posted(posted_lists(data)))
    value = decoder.children(build_form(schema).fields, "", "")
    errors = decoder.errors
    for path, messages in validate(schema, value, decoder.trace).items():
        # A field that could not be converted was left out; "required" would be noise.
        errors.setdefault(path, messages)
    return Decoded(input=value, errors=errors)


def _decode_freeform(schema: dict[str, Any], data: Any) -> Decoded:
    raw = posted_lists(data).get(FREEFORM) or [None]
    value, problem = freeform.decode_text(raw[-1])
    if value is None:
        return Decoded(input={}, errors={FREEFORM: [problem or "Enter valid JSON."]})
    errors = validate(schema, value, Trace())
    # Without fields to point at, each message names the property it is about.
    messages = [
        message if path in (ROOT, "") else f"{path}: {message}"
        for path, listed in errors.items()
        for message in listed
    ]
    return Decoded(input=value, errors={FREEFORM: messages} if messages else {})


def posted_lists(data: Any) -> dict[str, list[str]]:
    """Be liberal: QueryDict, dict of lists or of strings; junk keys and values dropped."""
    if hasattr(data, "lists"):
        items = list(data.lists())
    elif isinstance(data, Mapping):
        items = list(data.items())
    else:
        return {}
    posted: dict[str, list[str]] = {}
    for key, values in items:
        if not isinstance(key, str) or len(key) > MAX_NAME:
            continue
        values = values if isinstance(values, list | tuple) else [values]
        posted[key] = [t for t in (_text(v) for v in values) if t is not None]
    return posted


def _text(value: Any) -> str | None:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if not isinstance(value, str):
        return None
    # Lone surrogates cannot be encoded to UTF-8 on the way to fal.
    return value.encode("utf-8", "replace").decode("utf-8")


class _Posted:
    """Posted names with an index of prefixes, so lookups do not rescan every name."""

    def __init__(self, posted: dict[str, list[str]]) -> None:
        self.values = posted
        self.prefixes: set[str] = set()
        self.rows: dict[str, set[int]] = {}
        for name in posted:
            self._index(name)

    def _index(self, name: str) -> None:
        cuts = [m.start() for m in _SEP.finditer(name)]
        if len(cuts) > MAX_SEGMENTS:
            return
        for i, cut in enumerate(cuts):
            prefix = name[:cut]
            self.prefixes.add(prefix)
            segment = name[cut + 1 : cuts[i + 1] if i + 1 < len(cuts) else len(name)]
            if name[cut] == "." and _ROW.fullmatch(segment):
                self.rows.setdefault(prefix, set()).add(int(segment))

    def last(self, name: str) -> str | None:
        values = self.values.get(name)
        return values[-1] if values else None

    def has(self, name: str) -> bool:
        return name in self.values or name in self.prefixes


class _Decoder:
    def __init__(self, posted: _Posted) -> None:
        self.posted = posted
        self.errors: dict[str, list[str]] = {}
        self.trace = Trace()

    def children(self, fields: list[FieldSpec], name: str, out: str) -> dict[str, Any]:
        value: dict[str, Any] = {}
        for field in fields:
            child = self.field(field, join(name, field.name), join(out, field.name))
            if child is not _MISSING:
                value[field.name] = child
        return value

    def field(self, field: FieldSpec, name: str, out: str) -> Any:
        value = self.value(field, name, out)
        if value is not _MISSING:
            self.trace.names[out] = name
        return value

    def value(self, field: FieldSpec, name: str, out: str) -> Any:
        if field.kind == OBJECT and field.addable:
            # Added (its bare name or any input under it posted): sent, even as {}.
            if not self.posted.has(name):
                return self.empty(field)
            return self.children(field.children, name, out)
        if field.kind == OBJECT:
            return self.children(field.children, name, out) or self.empty(field)
        if field.kind == ARRAY:
            return self.array(field, name, out)
        if field.kind == UNION:
            return self.union(field, name, out)
        return self.leaf(field, name)

    def empty(self, field: FieldSpec) -> Any:
        """Nothing posted: left out, or null / {} / [] where the schema requires a value."""
        if not field.required:
            return _MISSING
        if field.kind == CONST:
            return field.const
        if field.nullable:
            return None
        return {OBJECT: {}, ARRAY: []}.get(field.kind, _MISSING)

    def array(self, field: FieldSpec, name: str, out: str) -> Any:
        indices = sorted(self.posted.rows.get(name, ()))
        if len(indices) > MAX_ROWS:
            self.error(name, f"Ensure this list has at most {MAX_ROWS} items.")
            indices = indices[:MAX_ROWS]
        rows: list[Any] = []
        for i in indices:
            row = self.field(field.item, f"{name}.{i}", f"{out}.{len(rows)}")  # type: ignore[arg-type]
            if row is not _MISSING:
                rows.append(row)
        return rows or self.empty(field)

    def union(self, field: FieldSpec, name: str, out: str) -> Any:
        k = self.branch(field, name)
        if k is None:
            return self.empty(field)
        value = self.value(field.branches[k].field, f"{name}:{k}", out)
        if value is _MISSING:
            return self.empty(field)
        self.trace.branches[out] = k
        self.trace.inner[out] = f"{name}:{k}"
        return value

    def branch(self, field: FieldSpec, name: str) -> int | None:
        """`<path>:branch` if posted and sensible, else the first branch with inputs.

        An empty `<path>:branch` means "none chosen": an optional union is left out even
        though its branches' (hidden) inputs are posted.
        """
        chosen = self.posted.last(f"{name}:branch")
        if chosen is not None and chosen.strip() == "":
            return None
        chosen = (chosen or "").strip()
        if _ROW.fullmatch(chosen) and int(chosen) < len(field.branches):
            return int(chosen)
        for k in range(len(field.branches)):
            if self.posted.has(f"{name}:{k}"):
                return k
        return None

    def leaf(self, field: FieldSpec, name: str) -> Any:
        if field.blank and (self.posted.last(f"{name}:blank") or "").strip() == "true":
            return None if field.blank == BLANK_NULL else ""
        raw = self.posted.last(name)
        # Only text keeps surrounding spaces; an all-blank number or choice is "empty".
        if raw is None or (raw if field.kind == STRING else raw.strip()) == "":
            return self.empty(field)
        if off_type_default(field, raw):
            # The schema's own default, though it breaks the schema's type (an integer
            # defaulting to 2.5): left out, the model applies it as given.
            return field.default if field.required else _MISSING
        try:
            return convert(field, raw)
        except Invalid as exc:
            self.error(name, str(exc))
            return _MISSING

    def error(self, name: str, message: str) -> None:
        self.errors.setdefault(name, []).append(message)
