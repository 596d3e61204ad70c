"""The form a JSON Schema becomes: a tree of FieldSpec, rendered by templates/catalog/.

## Field names (what a browser posts) — the payload contract

Every input's `name` is its property path:
- a property: `prompt`; nested object properties: `image_size.width`, `options.style`;
- array rows by index: `loras.0.path`, `loras.0.scale`; primitive rows: `image_urls.0`.
  Indices need not be contiguous (a removed row leaves a gap); rows are taken in
  numeric order. An array with no rows is left out (its default applies).
- unions (anyOf/oneOf with more than one non-null branch) add a suffix for the branch:
  the chosen branch index is posted as `<path>:branch`, and branch k's own inputs live
  under `<path>:<k>` (e.g. `image_size:branch=1`, `image_size:1=landscape_4_3`, or
  `image_size:branch=0`, `image_size:0.width=1024`, `image_size:0.height=768`).
- nullable fields (anyOf [X, null]) are plain fields of X; an empty value means "left
  out" (or null where the property is required and accepts null).
- optional (or nullable) object properties start absent behind an "Add" button: the
  bare name `<path>` (posted empty) marks one the person added, and nothing under an
  absent one is posted, so it is left out (or null where required and nullable).
- an optional field whose default is not empty may offer an explicit blank
  (`FieldSpec.blank`): `<path>:blank=true` sends null ("null") or "" ("empty").
- booleans post a hidden "false" then the checkbox's "true": the last value wins.
- free-form values (`{}`, objects with only additionalProperties, ...) post JSON text.
- a schema that names no property at all (a schema-less endpoint) is one JSON editor: the
  whole input is posted as JSON text under `__input__` (freeform.py).
Empty strings of optional fields are left out, so the model's defaults apply.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# kinds of FieldSpec
STRING = "string"  # single-line text (widget "input" or "textarea")
INTEGER = "integer"
NUMBER = "number"
BOOLEAN = "boolean"
ENUM = "enum"  # choices (widget "select" or "segmented")
OBJECT = "object"  # children
ARRAY = "array"  # item (a template FieldSpec whose path holds "__index__")
UNION = "union"  # branches
FILE = "file"  # a URL to a media file (upload, paste a URL, or pick an earlier output)
JSON = "json"  # free-form JSON text
CONST = "const"  # fixed value, rendered as a hidden input

BLANK_NULL = "null"  # FieldSpec.blank: send null
BLANK_EMPTY = "empty"  # FieldSpec.blank: send ""

INDEX = "__index__"  # placeholder for an array row index in template paths
FREEFORM = "__input__"  # the one field of a schema-less endpoint: the whole input as JSON


@dataclass
class Choice:
    value: Any
    label: str


@dataclass
class Branch:
    label: str  # "Preset", "Custom", or the branch title
    field: FieldSpec  # its path is "<union path>:<k>"


@dataclass
class FieldSpec:
    path: str  # the posted name, e.g. "loras.0.scale" (or "loras.__index__.scale" in templates)
    name: str  # the property name ("" for array rows)
    kind: str
    label: str
    help: str = ""
    required: bool = False
    nullable: bool = False
    default: Any = None
    has_default: bool = False
    examples: list[Any] = field(default_factory=list)
    advanced: bool = False  # shown in the collapsed "Advanced" section
    widget: str = ""  # input | textarea | select | segmented | slider | checkbox | number | ...
    # numbers
    minimum: float | None = None
    maximum: float | None = None
    exclusive_minimum: float | None = None
    exclusive_maximum: float | None = None
    multiple_of: float | None = None
    step: float | None = None  # for <input step>, derived from multipleOf / integer / range
    # strings
    min_length: int | None = None
    max_length: int | None = None
    pattern: str | None = None
    format: str | None = None
    # enum
    choices: list[Choice] = field(default_factory=list)
    # object / array / union
    children: list[FieldSpec] = field(default_factory=list)
    item: FieldSpec | None = None
    min_items: int | None = None
    max_items: int | None = None
    branches: list[Branch] = field(default_factory=list)
    # files: "image" | "audio" | "video" | "file"; is_seed for the seed widget
    media: str | None = None
    is_seed: bool = False
    const: Any = None
    # an optional object property: absent (left out) until the person adds it
    addable: bool = False
    # what `<path>:blank=true` sends instead of leaving the field out: "null", "empty" or ""
    blank: str = ""


@dataclass
class FormSpec:
    fields: list[FieldSpec]  # top level, in x-fal-order-properties order

    @property
    def basic(self) -> list[FieldSpec]:
        return [f for f in self.fields if not f.advanced]

    @property
    def advanced(self) -> list[FieldSpec]:
        return [f for f in self.fields if f.advanced]
