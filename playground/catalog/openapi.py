"""Parse fal OpenAPI documents into self-contained input/output JSON Schemas.

Two envelopes exist (fal-protocol.md §16):
- real fal documents: component schemas reference each other as `#/components/schemas/X`;
- simplified documents: each Input/Output schema carries its own `$defs` closure,
  referenced as `#/$defs/X`.
Both are normalised to one shape: a schema whose every `$ref` is `#/$defs/<Name>` inside
the schema itself, so jsonschema, the form generator and the emulator need no document.
"""

from __future__ import annotations

import copy
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

COMPONENT_PREFIX = "#/components/schemas/"
DEFS_PREFIX = "#/$defs/"


class SchemaDocumentError(ValueError):
    """The document is not a fal OpenAPI document we can import."""


@dataclass
class ParsedEndpoint:
    endpoint_id: str
    category: str
    title: str
    description: str
    input_schema: dict[str, Any]
    output_schema: dict[str, Any]
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def schema_sha(self) -> str:
        blob = json.dumps([self.input_schema, self.output_schema], sort_keys=True)
        return hashlib.sha256(blob.encode()).hexdigest()


def parse_document(doc: dict[str, Any]) -> ParsedEndpoint:
    """Raises SchemaDocumentError when the document lacks what an endpoint needs."""
    if not isinstance(doc, dict):
        raise SchemaDocumentError("not a JSON object")
    meta = (doc.get("info") or {}).get("x-fal-metadata") or {}
    endpoint_id = meta.get("endpointId") or _endpoint_id_from_paths(doc)
    components = (doc.get("components") or {}).get("schemas") or {}
    input_name, output_name = _io_schema_names(doc, endpoint_id, components)
    return ParsedEndpoint(
        endpoint_id=endpoint_id,
        category=str(meta.get("category") or "other"),
        title=_title_for(endpoint_id),
        description=str(components[input_name].get("description") or ""),
        input_schema=self_contained(components[input_name], components),
        output_schema=self_contained(components[output_name], components),
        metadata={k: v for k, v in meta.items() if k != "endpointId"},
    )


def _endpoint_id_from_paths(doc: dict[str, Any]) -> str:
    for path, ops in (doc.get("paths") or {}).items():
        if isinstance(ops, dict) and "post" in ops and "/requests/" not in path:
            return path.strip("/")
    raise SchemaDocumentError("no endpoint id: missing info.x-fal-metadata.endpointId")


def _io_schema_names(
    doc: dict[str, Any], endpoint_id: str, components: dict[str, Any]
) -> tuple[str, str]:
    """The Input schema is the POST body; the Output schema the result's 200 response."""
    paths = doc.get("paths") or {}
    submit = (paths.get(f"/{endpoint_id}") or {}).get("post") or {}
    result = (paths.get(f"/{endpoint_id}/requests/{{request_id}}") or {}).get("get") or {}
    input_ref = _ref_at(submit, "requestBody", "content", "application/json", "schema")
    output_ref = _ref_at(result, "responses", "200", "content", "application/json", "schema")
    input_name = _ref_name(input_ref) or _by_suffix(components, "Input")
    output_name = _ref_name(output_ref) or _by_suffix(components, "Output")
    for name in (input_name, output_name):
        if name not in components:
            raise SchemaDocumentError(f"{endpoint_id}: missing component schema {name!r}")
    return input_name, output_name


def _ref_at(node: Any, *keys: str) -> str | None:
    for key in keys:
        if not isinstance(node, dict):
            return None
        node = node.get(key)
    return node.get("$ref") if isinstance(node, dict) else None


def _ref_name(ref: str | None) -> str | None:
    if ref and ref.startswith(COMPONENT_PREFIX):
        return ref[len(COMPONENT_PREFIX) :]
    return None


def _by_suffix(components: dict[str, Any], suffix: str) -> str:
    names = [n for n in components if n.endswith(suffix)]
    if len(names) != 1:
        raise SchemaDocumentError(f"cannot tell which component is the {suffix} schema")
    return names[0]


def self_contained(schema: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    """Copy `schema` with every component it reaches moved into its own `$defs`."""
    root = copy.deepcopy(schema)
    defs: dict[str, Any] = dict(root.pop("$defs", {}) or {})
    pending = _rewrite_refs(root)
    for value in defs.values():
        pending |= _rewrite_refs(value)
    while pending:
        name = pending.pop()
        if name in defs:
            continue
        if name not in components:
            raise SchemaDocumentError(f"unresolvable $ref to {name!r}")
        defs[name] = copy.deepcopy(components[name])
        defs[name].pop("$defs", None)
        pending |= _rewrite_refs(defs[name])
    if defs:
        root["$defs"] = defs
    return root


def _rewrite_refs(node: Any) -> set[str]:
    """Point component refs at `$defs` in place; return the component names referenced."""
    found: set[str] = set()
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(COMPONENT_PREFIX):
            name = ref[len(COMPONENT_PREFIX) :]
            node["$ref"] = DEFS_PREFIX + name
            found.add(name)
        for key, value in node.items():
            if key != "$ref":
                found |= _rewrite_refs(value)
    elif isinstance(node, list):
        for item in node:
            found |= _rewrite_refs(item)
    return found


def _title_for(endpoint_id: str) -> str:
    """'fal-ai/flux/dev' -> 'Flux Dev': the owner is dropped, path words capitalised."""
    parts = endpoint_id.split("/")[1:] or [endpoint_id]
    words = " ".join(parts).replace("-", " ").replace("_", " ").split()
    return " ".join(w if any(c.isdigit() for c in w[1:]) else w.capitalize() for w in words)
