"""JSON Schema -> FormSpec: one FieldSpec per property, recursively.

Paths follow spec.py: object children `P.name`, array row templates `P.__index__`, union
branch k `P:k`. Anything the form cannot widget (free-form objects, type lists, tuples,
recursion past MAX_DEPTH or back to a `$ref` already on the path) becomes a JSON field.
"""

from __future__ import annotations

from typing import Any

from playground.lib.schemaguard import pattern_problem

from . import freeform, hints
from .resolve import Recursive, is_null, resolve, union_list
from .spec import (
    ARRAY,
    BLANK_EMPTY,
    BLANK_NULL,
    BOOLEAN,
    CONST,
    ENUM,
    FILE,
    INDEX,
    INTEGER,
    JSON,
    NUMBER,
    OBJECT,
    STRING,
    UNION,
    Branch,
    Choice,
    FieldSpec,
    FormSpec,
)

MAX_DEPTH = 12  # nesting deeper than this is shown as JSON rather than ever more fieldsets
_PRIMITIVE = (str, int, float, bool, type(None))
_TYPE_LABELS = {
    "string": "Text",
    "integer": "Whole number",
    "number": "Number",
    "boolean": "Yes/No",
    "array": "List",
    "object": "Object",
}


def build_form(schema: dict[str, Any]) -> FormSpec:
    """The form for an input schema; never raises for a dict schema."""
    root = schema if isinstance(schema, dict) else {}
    if freeform.is_freeform(root):
        return FormSpec(fields=[freeform.field()])
    try:
        node, chain = resolve(root, root)
    except Recursive:
        node, chain = {}, ()
    fields = [f for f in build_children(root, node, "", chain, 0) if not _hidden(f)]
    for field in fields:
        field.advanced = hints.is_advanced(field)
    # Required prompts first: what a person must write comes before what they may tune.
    fields.sort(key=lambda f: not (f.required and f.kind == STRING and hints.is_prompt(f.name)))
    return FormSpec(fields=fields)


def _hidden(field: FieldSpec) -> bool:
    """`sync_mode: true` returns data URIs instead of URLs, which the gallery cannot keep:
    the form never offers it (the model's default, URLs, applies)."""
    if field.name in hints.HIDDEN_NAMES and field.kind == BOOLEAN:
        if not field.required:
            return True
        field.kind, field.const, field.widget = CONST, False, "hidden"
    return False


def ordered_names(node: dict[str, Any]) -> list[str]:
    """x-fal-order-properties first, then the remaining properties in schema order."""
    props = node.get("properties")
    if not isinstance(props, dict):
        return []
    order = node.get("x-fal-order-properties")
    names = (
        [n for n in order if isinstance(n, str) and n in props] if isinstance(order, list) else []
    )
    names = list(dict.fromkeys(names))
    return names + [n for n in props if n not in names]


def join(base: str, name: str) -> str:
    """A child's path: `base.name`, or just `name` at the top level."""
    return f"{base}.{name}" if base else name


def build_children(
    root: dict[str, Any], node: dict[str, Any], prefix: str, chain: tuple[str, ...], depth: int
) -> list[FieldSpec]:
    props = node.get("properties") or {}
    required = node.get("required") if isinstance(node.get("required"), list) else []
    return [
        _property(
            build_field(
                root, props[name], name, join(prefix, name), name in required, chain, depth + 1
            )
        )
        for name in ordered_names(node)
    ]


def _property(field: FieldSpec) -> FieldSpec:
    """What an object's property (not a union branch or an array row) may leave out."""
    optional = not field.required or field.nullable
    # An optional object starts absent: its required members must not block the form.
    field.addable = field.kind == OBJECT and optional
    if not field.required and field.has_default and field.default not in (None, ""):
        if field.nullable and field.kind in (STRING, INTEGER, NUMBER, FILE, ENUM):
            field.blank = BLANK_NULL  # "leave out" means the default; null is a choice
        elif field.kind == STRING:
            field.blank = BLANK_EMPTY
    return field


def build_field(
    root: dict[str, Any],
    raw: Any,
    name: str,
    path: str,
    required: bool,
    chain: tuple[str, ...],
    depth: int,
) -> FieldSpec:
    raw_node = raw if isinstance(raw, dict) else {}
    field = FieldSpec(
        path=path, name=name, kind=JSON, label=hints.label_for(name, raw_node), required=required
    )
    try:
        if depth > MAX_DEPTH:
            raise Recursive(path)
        node, chain = resolve(raw, root, chain)
        node, field.nullable, chain = _strip_null(node, root, chain)
    except Recursive:
        _annotate(field, raw_node)
        field.widget = "json"
        return field
    _annotate(field, node)
    _shape(field, node, root, chain, depth)
    return field


def _annotate(field: FieldSpec, node: dict[str, Any]) -> None:
    field.help = hints.help_for(node)
    if "default" in node:
        field.default, field.has_default = node["default"], True
    examples = node.get("examples")
    if isinstance(examples, list):
        field.examples = list(examples)
    elif "example" in node:
        field.examples = [node["example"]]
    if isinstance(node.get("format"), str):
        field.format = node["format"]


def _strip_null(
    node: dict[str, Any], root: dict[str, Any], chain: tuple[str, ...]
) -> tuple[dict[str, Any], bool, tuple[str, ...]]:
    """Turn `anyOf [X, null]`, `type: [X, "null"]`, `nullable: true` into X + a flag."""
    nullable = node.get("nullable") is True
    kind = node.get("type")
    if isinstance(kind, list) and "null" in kind:
        rest = [t for t in kind if t != "null"]
        node, nullable = {**node, "type": rest[0] if len(rest) == 1 else rest}, True
    if isinstance(node.get("enum"), list) and None in node["enum"]:
        node, nullable = {**node, "enum": [v for v in node["enum"] if v is not None]}, True
    branches = union_list(node)
    if not branches:
        return node, nullable, chain
    real = [b for b in branches if not is_null(resolve(b, root, chain)[0])]
    outer = {k: v for k, v in node.items() if k not in ("anyOf", "oneOf")}
    if len(real) == 1:
        inner, chain = resolve(real[0], root, chain)
        # Outer keywords (title, default, description) describe the property itself.
        node, inner_nullable, chain = _strip_null({**inner, **outer}, root, chain)
        return node, nullable or inner_nullable or len(real) < len(branches), chain
    if not real:
        return outer, True, chain
    return {**outer, "anyOf": real}, nullable or len(real) < len(branches), chain


def _shape(
    field: FieldSpec, node: dict[str, Any], root: dict[str, Any], chain: tuple[str, ...], depth: int
) -> None:
    enum = node.get("enum")
    kind = node.get("type")
    if kind is None:
        kind = "object" if "properties" in node else "array" if "items" in node else None
    if "const" in node:
        field.kind, field.const, field.widget = CONST, node["const"], "hidden"
    elif isinstance(enum, list) and enum and all(isinstance(v, _PRIMITIVE) for v in enum):
        _enum(field, enum)
    elif union_list(node):
        _union(field, node, root, chain, depth)
    elif kind in ("string", "integer", "number", "boolean"):
        _scalar(field, node, kind)
    elif kind == "array" and isinstance(node.get("items"), dict):
        _array(field, node, root, chain, depth)
    elif kind == "object" and isinstance(node.get("properties"), dict) and node["properties"]:
        field.kind = OBJECT
        field.children = build_children(root, node, field.path, chain, depth)
    else:
        field.widget = "json"


def _enum(field: FieldSpec, values: list[Any]) -> None:
    field.kind = ENUM
    field.choices = [
        Choice(v, label) for v, label in zip(values, hints.enum_labels(values), strict=True)
    ]
    field.widget = hints.enum_widget(field.choices)


def _scalar(field: FieldSpec, node: dict[str, Any], kind: str) -> None:
    if kind == "boolean":
        field.kind, field.widget = BOOLEAN, "checkbox"
    elif kind == "string":
        _string(field, node)
    else:
        _number(field, node, integer=kind == "integer")


def _string(field: FieldSpec, node: dict[str, Any]) -> None:
    field.min_length = _int(node.get("minLength"))
    field.max_length = _int(node.get("maxLength"))
    pattern = node.get("pattern")
    # The browser runs it too (an <input pattern>): never one that can hang the page.
    field.pattern = pattern if isinstance(pattern, str) and not pattern_problem(pattern) else None
    field.media = hints.media_for(field.name, node)
    if field.media:
        field.kind, field.widget = FILE, "file"
    else:
        field.kind, field.widget = STRING, hints.string_widget(field.name, node)


def _number(field: FieldSpec, node: dict[str, Any], integer: bool) -> None:
    field.kind = INTEGER if integer else NUMBER
    field.minimum, field.maximum = _num(node.get("minimum")), _num(node.get("maximum"))
    low, high = node.get("exclusiveMinimum"), node.get("exclusiveMaximum")
    # Draft 4 spelled exclusive bounds as booleans qualifying minimum/maximum.
    if low is True:
        field.exclusive_minimum, field.minimum = field.minimum, None
    if high is True:
        field.exclusive_maximum, field.maximum = field.maximum, None
    field.exclusive_minimum = _num(low) if not isinstance(low, bool) else field.exclusive_minimum
    field.exclusive_maximum = _num(high) if not isinstance(high, bool) else field.exclusive_maximum
    multiple = _num(node.get("multipleOf"))
    field.multiple_of = multiple if multiple and multiple > 0 else None
    field.is_seed = integer and field.name == "seed"
    field.step = hints.number_step(field, integer)
    field.widget = hints.number_widget(field)


def _array(
    field: FieldSpec, node: dict[str, Any], root: dict[str, Any], chain: tuple[str, ...], depth: int
) -> None:
    field.kind, field.widget = ARRAY, "rows"
    field.min_items, field.max_items = _int(node.get("minItems")), _int(node.get("maxItems"))
    item = build_field(root, node["items"], "", f"{field.path}.{INDEX}", True, chain, depth + 1)
    if item.label == "Value":
        item.label = field.label
    # `image_urls: string[]`: the media word is in the array's name, the file hint on
    # either the array or its items.
    media = hints.media_for(field.name, node) if item.kind == STRING else None
    if item.kind == FILE:
        media = hints.media_word(f"{field.name} {field.label}".lower())
    if media:
        item.kind, item.media, item.widget = FILE, media, "file"
    field.item = item


def _union(
    field: FieldSpec, node: dict[str, Any], root: dict[str, Any], chain: tuple[str, ...], depth: int
) -> None:
    field.kind, field.widget = UNION, "union"
    for k, raw in enumerate(union_list(node) or []):
        child = build_field(
            root, raw, field.name, f"{field.path}:{k}", field.required, chain, depth
        )
        resolved = resolve(raw, root, chain)[0] if isinstance(raw, dict) else {}
        field.branches.append(Branch(label=_branch_title(child, resolved), field=child))
    kinds = [b.field.kind for b in field.branches]
    # image_size: a preset name or a custom {width, height}; aspect_ratio: preset or free text.
    if len(kinds) == 2 and kinds.count(ENUM) == 1 and set(kinds) - {ENUM} <= {OBJECT, STRING}:
        for branch in field.branches:
            branch.label = "Preset" if branch.field.kind == ENUM else "Custom"
    for branch in field.branches:
        branch.field.label = branch.label


def _branch_title(child: FieldSpec, node: dict[str, Any]) -> str:
    title = node.get("title")
    if isinstance(title, str) and title.strip():
        return title.strip()
    if child.kind == ENUM:
        return "Choice"
    kind = node.get("type")
    return _TYPE_LABELS.get(kind, "Value") if isinstance(kind, str) else "Value"


def _num(value: Any) -> float | None:
    return value if isinstance(value, int | float) and not isinstance(value, bool) else None


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None
