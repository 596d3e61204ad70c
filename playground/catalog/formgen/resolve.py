"""Schema plumbing for the form generator: `$ref` lookup, `allOf` merging, null branches.

Schemas are self-contained (every `$ref` is `#/$defs/Name`, see catalog/openapi.py), but
any local JSON pointer is followed. A `$ref` already on the current path is recursion:
`Recursive` is raised and the caller falls back to a JSON field.
"""

from __future__ import annotations

from typing import Any

# Keys whose values are merged (not overridden) when allOf parts are combined.
_MERGED = ("properties", "required", "x-fal-order-properties")


class Recursive(Exception):
    """The schema refers back to itself along the current path."""


def lookup(root: dict[str, Any], ref: str) -> dict[str, Any]:
    """The node a local `$ref` points at; {} (anything goes) when it points nowhere."""
    if not ref.startswith("#"):
        return {}
    node: Any = root
    for part in ref[1:].split("/")[1:]:
        part = part.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict):
            node = node.get(part)
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return {}
    return node if isinstance(node, dict) else {}


def resolve(
    node: Any, root: dict[str, Any], chain: tuple[str, ...] = ()
) -> tuple[dict[str, Any], tuple[str, ...]]:
    """`node` with `$ref` followed and `allOf` merged, plus the refs followed so far.

    Keywords next to a `$ref` (title, description, default...) win over the target's:
    that is how pydantic annotates a referenced model.
    """
    if not isinstance(node, dict):
        return {}, chain  # boolean schemas: `true` allows anything
    ref = node.get("$ref")
    if isinstance(ref, str):
        if ref in chain:
            raise Recursive(ref)
        target, chain = resolve(lookup(root, ref), root, (*chain, ref))
        node = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
    parts = node.get("allOf")
    if isinstance(parts, list):
        merged: dict[str, Any] = {k: v for k, v in node.items() if k != "allOf"}
        for part in parts:
            resolved, chain = resolve(part, root, chain)
            merged = _merge(merged, resolved)
        node = merged
    return node, chain


def _merge(into: dict[str, Any], part: dict[str, Any]) -> dict[str, Any]:
    out = dict(into)
    for key, value in part.items():
        if key == "properties" and isinstance(value, dict):
            out[key] = {**value, **(out.get(key) or {})}
        elif key in _MERGED[1:] and isinstance(value, list):
            out[key] = [*(out.get(key) or []), *(v for v in value if v not in (out.get(key) or []))]
        else:
            out.setdefault(key, value)
    return out


def is_null(node: Any) -> bool:
    """A branch that only allows null: {"type": "null"}, {"const": null}, {"enum": [null]}."""
    if not isinstance(node, dict):
        return False
    if node.get("type") == "null":
        return True
    return ("const" in node and node["const"] is None) or node.get("enum") == [None]


def union_list(node: dict[str, Any]) -> list[Any] | None:
    """The anyOf/oneOf branches of `node`, if it is a union."""
    for key in ("anyOf", "oneOf"):
        if isinstance(node.get(key), list) and node[key]:
            return node[key]
    return None
