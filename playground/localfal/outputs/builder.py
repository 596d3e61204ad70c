"""Walks an output JSON Schema and fills each field by what its name means.

File-like objects (anything with a `url`, or binary `content`) get real files; known names
(seed, prompt, timings, has_nsfw_concepts, text, duration...) get honest values; everything
else gets its default, its first enum value, or a value inside its bounds. A value a field
filler proposes is used only when it validates against that field's schema, so an
unexpected schema degrades to placeholders rather than to an invalid output.
"""

from __future__ import annotations

import time
from typing import Any

from playground.localfal.outputs import fields
from playground.localfal.outputs.context import OutputContext
from playground.localfal.outputs.inputs import RequestView
from playground.localfal.outputs.makers import MEDIA_KINDS, FileMaker, Made, kind_for_name
from playground.localfal.outputs.schema import Node, SchemaTree, primary_type
from playground.localfal.outputs.texts import TextMaker

MAX_DEPTH = 16


def build_output(output_schema: dict[str, Any], ctx: OutputContext) -> dict[str, Any]:
    """The endpoint's output for `ctx.input`, valid against `output_schema`.

    Raises InputFileError when an input URL can't be fetched, and MediaError when an input
    file can't be decoded.
    """
    return OutputBuilder(output_schema, ctx).build()


class OutputBuilder:
    def __init__(self, schema: dict[str, Any], ctx: OutputContext) -> None:
        self.tree = SchemaTree(schema)
        self.ctx = ctx
        self.request = RequestView(ctx.input)
        self.files = FileMaker(ctx, self.request)
        self.texts = TextMaker(ctx, self.files)
        self.started = time.monotonic()

    def build(self) -> dict[str, Any]:
        self.ctx.log(f"local emulator: {self.ctx.endpoint_id}, seed {self.ctx.seed}")
        output = self.value(self.tree.root, "", 0)
        self.ctx.log(f"done in {time.monotonic() - self.started:.2f} s")
        return output

    def value(self, node: Any, name: str, depth: int, index: int = 0) -> Any:
        node = self.tree.resolve(node)
        if "const" in node:
            return node["const"]
        if "anyOf" in node or "oneOf" in node:
            return self._variant(node, name, depth, index)
        proposed = fields.propose(self, node, name, depth)
        if proposed is not fields.MISSING and self.tree.is_valid(proposed, node):
            return proposed
        carrier = self.tree.file_carrier(node)
        if carrier and depth < MAX_DEPTH:
            return self._file_object(node, name, depth, index, carrier)
        kind = primary_type(node)
        if kind == "object" and depth < MAX_DEPTH:
            return self._object(node, depth)
        if kind == "array" and depth < MAX_DEPTH:
            return self._array(node, name, depth)
        return fields.placeholder(self, node, name, index)

    def _variant(self, node: Node, name: str, depth: int, index: int) -> Any:
        chosen = self.tree.pick(node, prefer_file=kind_for_name(name) is not None)
        value = self.value(chosen, name, depth, index)
        if "oneOf" in node and not self.tree.is_valid(value, node):
            # The value matched several oneOf branches; try each until exactly one matches.
            for option in self.tree.variants(node):
                candidate = self.value(option, name, depth, index)
                if self.tree.is_valid(candidate, node):
                    return candidate
        return value

    # -- objects ---------------------------------------------------------------------------
    def _object(self, node: Node, depth: int) -> dict[str, Any]:
        props: dict[str, Any] = node.get("properties") or {}
        required = list(node.get("required") or [])
        keys = [k for k in props if k in required or self._wanted(k, props[k])]
        # Files first: image counts, durations and timings then describe what was made.
        made_first = sorted(keys, key=lambda k: not self.tree.holds_files(props[k]))
        values = {k: self.value(props[k], k, depth + 1) for k in made_first}
        output = {k: values[k] for k in keys}
        extra = node.get("additionalProperties")
        extra_node = extra if isinstance(extra, dict) else {}
        for key in required:
            if key not in output:
                output[key] = self.value(extra_node, key, depth + 1)
        for number in range(len(output), int(node.get("minProperties") or 0)):
            output[f"field_{number}"] = self.value(extra_node, f"field_{number}", depth + 1)
        return output

    def _wanted(self, key: str, prop: Any) -> bool:
        """Optional fields we fill: ones we know, ones with defaults, and named media files."""
        if fields.knows(key):
            return True
        resolved = self.tree.resolve(prop)
        if isinstance(prop, dict) and ("default" in prop or "default" in resolved):
            return True
        return kind_for_name(key) is not None and self.tree.holds_files(resolved)

    def _file_object(
        self, node: Node, name: str, depth: int, index: int, carrier: str
    ) -> dict[str, Any]:
        made = self.files.make(kind_for_name(name) or self.files.default_kind(), index)
        props: dict[str, Any] = node.get("properties") or {}
        output: dict[str, Any] = {}
        for key, prop in props.items():
            proposed = self._file_field(made, key, carrier)
            fitted = fields.fit(self, proposed, prop)
            if fitted is not fields.MISSING:
                output[key] = fitted
        for key in node.get("required") or []:
            if key not in output:
                output[key] = self.value(props.get(key, {}), key, depth + 1)
        return output

    def _file_field(self, made: Made, key: str, carrier: str) -> Any:
        if key == "url":
            return self.files.url(made)
        if key == "content" and carrier == "raw":
            return made.data_uri().split(",", 1)[1]  # JSON can't carry bytes: base64 text
        known = {
            "content_type": made.content_type,
            "mime_type": made.content_type,
            "file_name": made.file_name,
            "file_size": len(made.data),
            "width": made.width,
            "height": made.height,
            "duration": made.seconds,
            **made.extra,
        }
        value = known.get(key)
        return fields.MISSING if value is None else value

    # -- arrays ----------------------------------------------------------------------------
    def _array(self, node: Node, name: str, depth: int) -> list[Any]:
        items = self.tree.resolve(node.get("items"))
        prefix = list(node.get("prefixItems") or [])
        # Strings in a media-named list ("images", "video_urls") are URLs of made files.
        url_list = primary_type(items) == "string" and (
            name.endswith("urls") or kind_for_name(name) in MEDIA_KINDS
        )
        holds_files = url_list or self.tree.holds_files(items)
        if "default" in node and not holds_files and self.tree.is_valid(node["default"], node):
            return list(node["default"])
        count = self._length(node, name, holds_files)
        if url_list and not prefix:
            return [self._url_item(items, name, i) for i in range(count)]
        values = [self.value(p, name, depth + 1, i) for i, p in enumerate(prefix[:count])]
        values += [self.value(items, name, depth + 1, i) for i in range(len(values), count)]
        return values

    def _url_item(self, items: Node, name: str, index: int) -> Any:
        made = self.files.make(kind_for_name(name) or self.files.default_kind(), index)
        url = fields.fit(self, self.files.url(made), items)
        return url if url is not fields.MISSING else fields.placeholder(self, items, name, index)

    def _length(self, node: Node, name: str, holds_files: bool) -> int:
        wanted = 0
        if holds_files:
            kind = kind_for_name(name) or self.files.default_kind()
            wanted = self.request.num_images() if kind == "image" else 1
        count = max(int(node.get("minItems") or 0), wanted)
        maximum = node.get("maxItems")
        return min(count, int(maximum)) if maximum is not None else count
