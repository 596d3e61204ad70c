"""A FormSpec bound to values in the posted encoding, ready for the field templates.

`bind(form, values, errors)` walks the FieldSpec tree once and returns FieldViews: each
knows its real path (array rows numbered, templates keeping `__index__`), the value to show
(the posted one, else the inherited or own default), its errors, and which template draws
it. Templates stay dumb: no lookups by path, no defaults logic.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from playground.catalog.formgen import spec as S
from playground.catalog.formgen.encode import branch_index, choice_text, leaf_text
from playground.catalog.formgen.examples import is_training_set

MISSING: Any = object()
# Field kinds that a form shows side by side (width x height, x/y, ...).
INLINE_KINDS = {S.INTEGER, S.NUMBER}
TEMPLATES = {
    S.CONST: "const",
    S.OBJECT: "object",
    S.ARRAY: "array",
    S.UNION: "union",
    S.FILE: "file",
    S.JSON: "json",
    S.BOOLEAN: "switch",
}
SHOUTED = {"hd", "sd", "uhd", "hdr", "2k", "4k", "8k"}
MEDIA_ACCEPT = {"image": "image/*", "audio": "audio/*", "video": "video/*"}


def as_posted(value: Any, spec: S.FieldSpec) -> str:
    """A default as the form posts it: the same spelling `encode` uses."""
    if value is None or value is MISSING:
        return ""
    if spec.kind == S.JSON:
        return json.dumps(value, indent=2, ensure_ascii=False)
    return leaf_text(spec, value)


def pretty_choice(choice: S.Choice) -> str:
    """`landscape_4_3` -> "Landscape 4:3", `square_hd` -> "Square HD"; other labels as is."""
    value = choice.value
    if choice.label != str(value) or not isinstance(value, str) or "_" not in value:
        return choice.label
    words = re.sub(r"(\d+)_(\d+)$", r"\1:\2", value).replace("_", " ").split()
    text = " ".join(w.upper() if w.lower() in SHOUTED else w for w in words)
    return text[:1].upper() + text[1:]


@dataclass
class Option:
    value: str
    label: str
    selected: bool


@dataclass
class FieldView:
    spec: S.FieldSpec
    path: str
    values: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    children: list[FieldView] = field(default_factory=list)
    rows: list[FieldView] = field(default_factory=list)
    row_template: FieldView | None = None
    next_index: int = 0
    branches: list[BranchView] = field(default_factory=list)
    branch: int = 0
    bare: bool = False  # drawn without its own label row (union branches, array rows)
    aria_label: str = ""  # the accessible name of a bare field ("Image size, preset")
    index: str = ""  # an array row's index in its path ("0", or "__index__" in templates)
    present: bool = True  # an optional object: added (sent) or absent (left out)
    blank_on: bool = False  # the explicit blank (`<path>:blank`) is chosen
    row_number: int = 0  # 1-based position of an array row; 0 for the <template> row

    # -- identity -----------------------------------------------------------------------
    @cached_property
    def id(self) -> str:
        return "f-" + re.sub(r"\s", "_", self.path)

    @property
    def help_id(self) -> str:
        return f"{self.id}-help"

    @property
    def error_id(self) -> str:
        return f"{self.id}-error"

    @property
    def describedby(self) -> str:
        ids = [self.help_id] if self.spec.help else []
        return " ".join([*ids, self.error_id])

    @property
    def template(self) -> str:
        kind = self.spec.kind
        if kind == S.OBJECT and self.spec.addable:
            name = "optional"
        elif kind in TEMPLATES:
            name = TEMPLATES[kind]
        elif self.spec.is_seed:
            name = "seed"
        elif kind == S.ENUM:
            name = "segmented" if self.spec.widget == "segmented" else "select"
        elif kind in (S.INTEGER, S.NUMBER):
            name = "slider" if self.spec.widget == "slider" and self.has_range else "number"
        else:
            name = "textarea" if self.spec.widget == "textarea" else "input"
        return f"catalog/fields/{name}.html"

    # -- values -------------------------------------------------------------------------
    @property
    def value(self) -> str:
        return self.values[-1] if self.values else ""

    @property
    def checked(self) -> bool:
        return self.value == "true"

    @property
    def label(self) -> str:
        return self.spec.label or self.spec.name.replace("_", " ").capitalize()

    @property
    def options(self) -> list[Option]:
        options = [
            Option(choice_text(c.value), pretty_choice(c), choice_text(c.value) == self.value)
            for c in self.spec.choices
        ]
        if self.null_option:
            options.append(Option("null", "None", self.value == "null"))
        return options

    @property
    def null_option(self) -> bool:
        """An optional nullable choice whose default is a value: null must be choosable."""
        spec = self.spec
        return spec.blank == S.BLANK_NULL and all(c.value is not None for c in spec.choices)

    @property
    def blank_label(self) -> str:
        """The "send blank" box of a field with an explicit blank (choices have "None")."""
        if self.spec.kind == S.ENUM:
            return ""
        return {S.BLANK_NULL: "Send null", S.BLANK_EMPTY: "Send empty"}.get(self.spec.blank, "")

    @property
    def noun(self) -> str:
        """The label inside a sentence: "Add ControlNet", "Add image prompt"."""
        return " ".join(w if w[1:] != w[1:].lower() else w.lower() for w in self.label.split())

    @property
    def empty_option(self) -> str:
        """The label of a blank first choice, or "" when the field always has a value."""
        if self.spec.has_default and self.spec.default is not None:
            return ""  # the default is preselected; a blank would only mean the same
        if self.spec.required and not self.spec.nullable:
            return "" if self.value or self.spec.widget == "segmented" else "Choose…"
        return self.unset_label

    @property
    def unset_label(self) -> str:
        """The choice that leaves the field out: the model's default applies."""
        taken = {pretty_choice(c).lower() for c in self.spec.choices}
        return "Default" if "default" not in taken else "Unset"

    @property
    def default_text(self) -> str:
        if not self.spec.has_default or self.spec.default in (None, "", [], {}):
            return ""
        if isinstance(self.spec.default, dict | list):
            return ""
        for choice in self.spec.choices:
            if choice.value == self.spec.default:
                return pretty_choice(choice)
        return as_posted(self.spec.default, self.spec)

    # -- numbers ------------------------------------------------------------------------
    @property
    def low(self) -> float | None:
        spec = self.spec
        if spec.minimum is not None:
            return spec.minimum
        if spec.exclusive_minimum is not None:
            return spec.exclusive_minimum + (1 if spec.kind == S.INTEGER else 0)
        return None

    @property
    def high(self) -> float | None:
        spec = self.spec
        if spec.maximum is not None:
            return spec.maximum
        if spec.exclusive_maximum is not None:
            return spec.exclusive_maximum - (1 if spec.kind == S.INTEGER else 0)
        return None

    @property
    def has_range(self) -> bool:
        return self.low is not None and self.high is not None and self.high > self.low

    @property
    def step(self) -> str:
        if self.spec.step:
            return _number(self.spec.step)
        return "any"  # integers always have a step, unless their default is off the grid

    @property
    def range_step(self) -> str:
        """A slider needs a finite step: a hundredth of the range when the schema has none."""
        if self.step != "any" or not self.has_range:
            return self.step
        return _number(_nice_step((self.high - self.low) / 100))

    @property
    def range_value(self) -> str:
        if self.value:
            return self.value
        return _number((self.low + self.high) / 2) if self.has_range else ""

    @property
    def low_text(self) -> str:
        return "" if self.low is None else _number(self.low)

    @property
    def high_text(self) -> str:
        return "" if self.high is None else _number(self.high)

    # -- files and text -----------------------------------------------------------------
    @property
    def media(self) -> str:
        return self.spec.media or "file"

    @property
    def accept(self) -> str:
        return MEDIA_ACCEPT.get(self.media, "")

    @property
    def zip_images(self) -> bool:
        """A zip of pictures to train on: the field offers to build one from images."""
        return is_training_set(self.spec)

    @property
    def length(self) -> int:
        return len(self.value)

    @property
    def in_template(self) -> bool:
        return S.INDEX in self.path

    @property
    def inline(self) -> bool:
        """Objects of two or three numbers (width x height) sit on one row."""
        kids = self.children
        return 2 <= len(kids) <= 3 and all(k.spec.kind in INLINE_KINDS for k in kids)

    @property
    def item_label(self) -> str:
        item = self.spec.item
        label = item.label if item is not None and item.label else self.label
        return label[:-1] if label.endswith("s") and len(label) > 3 else label

    @property
    def item_noun(self) -> str:
        """The item label inside a sentence: "Add image URL", "Remove lora 2"."""
        return " ".join(w if w.isupper() else w.lower() for w in self.item_label.split())

    @property
    def primitive_rows(self) -> bool:
        item = self.spec.item
        return item is not None and item.kind not in (S.OBJECT, S.UNION, S.ARRAY)

    @property
    def min_rows(self) -> str:
        """Rows a person may not remove: none when the whole list may be left out."""
        spec = self.spec
        if spec.min_items is None or not spec.required or spec.nullable:
            return ""
        return str(spec.min_items)

    @property
    def optional_union(self) -> bool:
        """An optional union without a default can be left out: a "Default" choice."""
        return not self.spec.required and self.spec.default is None


@dataclass
class BranchView:
    index: int
    label: str
    field: FieldView
    selected: bool


@dataclass
class BoundForm:
    fields: list[FieldView]
    errors: list[str]  # messages whose path names no rendered field ("__all__", ...)

    @property
    def basic(self) -> list[FieldView]:
        return [f for f in self.fields if not f.spec.advanced]

    @property
    def advanced(self) -> list[FieldView]:
        return [f for f in self.fields if f.spec.advanced]

    @property
    def advanced_has_errors(self) -> bool:
        return any(_has_errors(f) for f in self.advanced)


def bind(
    form: S.FormSpec, values: dict[str, list[str]], errors: dict[str, list[str]] | None = None
) -> BoundForm:
    binder = _Binder(values, errors or {})
    views = [binder.bind(spec, spec.path, MISSING) for spec in form.fields]
    leftover = [
        f"{_pretty_path(path)}: {msg}" if path != "__all__" else msg
        for path, messages in binder.errors.items()
        if path not in binder.used
        for msg in messages
    ]
    return BoundForm(fields=views, errors=leftover)


def defaults_of(form: S.FormSpec) -> dict[str, Any]:
    """The top-level defaults: what an untouched form holds."""
    return {
        f.name: f.default
        for f in form.fields
        if f.has_default and f.default is not None and not f.addable
    }


class _Binder:
    def __init__(self, values: dict[str, list[str]], errors: dict[str, list[str]]) -> None:
        self.values = values
        self.errors = errors
        self.used: set[str] = set()
        self.keys = sorted(values)

    def bind(self, spec: S.FieldSpec, path: str, inherited: Any) -> FieldView:
        default = inherited if inherited is not MISSING else _own_default(spec)
        view = FieldView(spec=spec, path=path, errors=self._errors(path))
        if spec.addable:
            view.present = self._has_any(path)
        if spec.blank:
            view.blank_on = self.values.get(f"{path}:blank", [""])[-1] == "true"
        kind = spec.kind
        if kind == S.OBJECT:
            # Required members first (a LoRA's path before its scale); otherwise schema order.
            ordered = sorted(spec.children, key=lambda child: not child.required)
            view.children = [self._child(view, child, default) for child in ordered]
        elif kind == S.ARRAY:
            self._bind_array(view, default)
        elif kind == S.UNION:
            self._bind_union(view, default)
        elif kind == S.CONST:
            view.values = [choice_text(spec.const)]
        elif path in self.values:
            view.values = list(self.values[path])
        elif default is not MISSING:
            view.values = [as_posted(default, spec)]
        return view

    def _child(self, parent: FieldView, child: S.FieldSpec, default: Any) -> FieldView:
        path = parent.path + child.path[len(parent.spec.path) :]
        inherited = default.get(child.name, MISSING) if isinstance(default, dict) else MISSING
        if self._has_any(parent.path):
            inherited = MISSING  # posted values rule; a parent default must not refill them
        return self.bind(child, path, inherited)

    def _bind_array(self, view: FieldView, default: Any) -> None:
        item = view.spec.item
        if item is None:
            return
        indices = self._indices(view.path)
        rows: list[tuple[int, Any]] = [(i, MISSING) for i in indices]
        if not indices and isinstance(default, list) and default:
            rows = list(enumerate(default))
        if not rows and view.spec.required and not view.spec.nullable:
            # A required list starts with its first row open, ready to fill in.
            rows = [(i, MISSING) for i in range(view.spec.min_items or 1)]
        for number, (index, row_default) in enumerate(rows, start=1):
            row = self._row(view, item, str(index), row_default)
            row.row_number = number
            row.aria_label = f"{view.item_label} {number}"
            view.rows.append(row)
        view.row_template = self._row(view, item, S.INDEX, MISSING)
        view.next_index = max((i for i, _ in rows), default=-1) + 1

    def _row(self, array: FieldView, item: S.FieldSpec, index: str, default: Any) -> FieldView:
        # The item's own path is "<array>.__index__[...]": rebase it onto this row.
        template_prefix = f"{array.spec.path}.{S.INDEX}"
        path = f"{array.path}.{index}" + item.path[len(template_prefix) :]
        row = self.bind(item, path, default)
        row.bare = True  # the row's own header names it
        row.index = index
        row.aria_label = array.item_label
        return row

    def _bind_union(self, view: FieldView, default: Any) -> None:
        posted = self.values.get(f"{view.path}:branch")
        count = len(view.spec.branches)
        if posted:
            selected = _int_or(posted[-1], -1)
        elif default in (MISSING, None) and view.optional_union:
            selected = -1  # "Default": left out, the model's default applies
        else:
            selected = _branch_for(view.spec, default)
        if not 0 <= selected < count:
            selected = -1 if view.optional_union else _branch_for(view.spec, MISSING)
        view.branch = selected
        for k, branch in enumerate(view.spec.branches):
            path = view.path + branch.field.path[len(view.spec.path) :]
            inherited = default if k == selected and not posted else MISSING
            child = self.bind(branch.field, path, inherited)
            child.bare = True
            child.aria_label = f"{view.label}, {branch.label.lower()}"
            view.branches.append(BranchView(k, branch.label, child, k == selected))
        # Presets read best first ("Preset | Custom"); the posted index stays the schema's.
        view.branches.sort(key=lambda b: b.field.spec.kind != S.ENUM)

    def _errors(self, path: str) -> list[str]:
        found = []
        # Errors may name the posted path (`image_size:0.width`) or the value's
        # (`image_size.width`); each message lands on the first field that claims it.
        for key in (path, f"{path}:branch", re.sub(r":\d+", "", path)):
            if key in self.errors and key not in self.used:
                self.used.add(key)
                found.extend(self.errors[key])
        return found

    def _has_any(self, prefix: str) -> bool:
        return any(_under(key, prefix) for key in self.keys)

    def _indices(self, prefix: str) -> list[int]:
        found = set()
        start = len(prefix) + 1
        for key in self.keys:
            if key.startswith(prefix + "."):
                head = re.match(r"\d+", key[start:])
                if head and _ends_segment(key, start + head.end()):
                    found.add(int(head.group()))
        return sorted(found)


def _own_default(spec: S.FieldSpec) -> Any:
    return spec.default if spec.has_default else MISSING


def _under(key: str, prefix: str) -> bool:
    return key == prefix or (key.startswith(prefix) and key[len(prefix)] in ".:")


def _ends_segment(key: str, at: int) -> bool:
    return at == len(key) or key[at] in ".:"


def _int_or(text: str, fallback: int) -> int:
    try:
        return int(text)
    except ValueError:
        return fallback


def _branch_for(union: S.FieldSpec, value: Any) -> int:
    """The branch a value belongs to (as `encode` decides); presets when there is none."""
    if value is MISSING or value is None:
        return next((k for k, b in enumerate(union.branches) if b.field.kind == S.ENUM), 0)
    return branch_index(union, value)


def _has_errors(view: FieldView) -> bool:
    if view.errors:
        return True
    nested = [*view.children, *view.rows, *(b.field for b in view.branches)]
    return any(_has_errors(child) for child in nested)


def _number(value: float) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return f"{value:.6g}" if isinstance(value, float) else str(value)


def _nice_step(raw: float) -> float:
    for step in (0.001, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 50, 100):
        if raw <= step:
            return step
    return raw


def _pretty_path(path: str) -> str:
    return re.sub(r":\d+", "", path).replace(".", " > ")
