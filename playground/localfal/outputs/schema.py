"""Reading a self-contained JSON Schema: `$ref`s, `allOf` merges, variants and types."""

from __future__ import annotations

from typing import Any

from playground.lib.schemaguard import bounded_validator

Node = dict[str, Any]
MAX_REF_HOPS = 32


class SchemaTree:
    """A schema whose `$ref`s all point inside itself (`#/$defs/Name`, or any `#/...`)."""

    def __init__(self, root: Node) -> None:
        self.root = root
        self._validator = bounded_validator(root)

    def resolve(self, node: Any) -> Node:
        """`node` with `$ref` chains followed and `allOf` parts merged into one dict."""
        if not isinstance(node, dict):
            return {}  # boolean schemas: `true` accepts anything, which {} says too
        for _ in range(MAX_REF_HOPS):
            if "$ref" not in node:
                break
            siblings = {k: v for k, v in node.items() if k != "$ref"}
            node = merge(self.lookup(node["$ref"]), siblings)
        if "allOf" in node:
            rest = {k: v for k, v in node.items() if k != "allOf"}
            merged: Node = {}
            for part in node["allOf"]:
                merged = merge(merged, self.resolve(part))
            node = merge(merged, rest)
        return node

    def lookup(self, ref: str) -> Node:
        if not ref.startswith("#"):
            return {}  # remote refs can't be followed offline; treat as "anything"
        target: Any = self.root
        for token in filter(None, ref[1:].split("/")):
            token = token.replace("~1", "/").replace("~0", "~")
            target = target.get(token) if isinstance(target, dict) else None
        return target if isinstance(target, dict) else {}

    def is_valid(self, value: Any, node: Any) -> bool:
        return self._validator.evolve(schema=node).is_valid(value)

    def variants(self, node: Node) -> list[Node]:
        return [self.resolve(v) for v in node.get("anyOf") or node.get("oneOf") or []]

    def pick(self, node: Node, prefer_file: bool) -> Node:
        """The variant to generate: a file-like one when wanted, else the first non-null."""
        options = self.variants(node)
        concrete = [v for v in options if types_of(v) != ["null"]]
        if prefer_file:
            files = [v for v in concrete if self.file_carrier(v)]
            if files:
                return files[0]
        return concrete[0] if concrete else (options[0] if options else {})

    def file_carrier(self, node: Node) -> str | None:
        """ "url" for fal File-like objects, "raw" for objects carrying binary `content`."""
        props = node.get("properties") or {}
        if "url" in props:
            return "url"
        content = self.resolve(props.get("content"))
        if content and (content.get("format") == "binary" or "contentEncoding" in content):
            return "raw"
        return None

    def holds_files(self, node: Any) -> bool:
        """Whether the node is, or is an array/variant of, file-like objects."""
        node = self.resolve(node)
        if self.file_carrier(node):
            return True
        if "anyOf" in node or "oneOf" in node:
            return any(self.holds_files(v) for v in self.variants(node))
        items = node.get("items")
        return isinstance(items, dict) and self.holds_files(items)


def merge(base: Node, extra: Node) -> Node:
    """`extra` laid over `base`; properties and required lists are combined, not replaced."""
    merged = dict(base)
    for key, value in extra.items():
        if key == "properties":
            merged[key] = {**base.get(key, {}), **value}
        elif key == "required":
            merged[key] = list(dict.fromkeys([*base.get(key, []), *value]))
        else:
            merged[key] = value
    return merged


def types_of(node: Node) -> list[str]:
    """Declared types, or the ones implied by other keywords when `type` is absent."""
    declared = node.get("type")
    if isinstance(declared, str):
        return [declared]
    if isinstance(declared, list):
        return [t for t in declared if isinstance(t, str)]
    for value in [node["const"]] if "const" in node else node.get("enum") or []:
        return [json_type(value)]
    if "properties" in node or "additionalProperties" in node:
        return ["object"]
    if "items" in node or "prefixItems" in node:
        return ["array"]
    return []


def primary_type(node: Node) -> str | None:
    """The first non-null type: what the generator makes for this node."""
    types = types_of(node)
    return next((t for t in types if t != "null"), types[0] if types else None)


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"
