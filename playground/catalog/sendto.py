""" "Send to…": the models that take an output (image, video or audio) in one of their
file fields, and the field it goes to.

The field is found from the input schema's top-level properties with formgen's own media
hints (names like `image_url`, `video_urls`, `ui.field`, `format: uri`): cheap enough to
scan the whole catalog, and kept per catalog version (its size and last change).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Max

from playground.catalog.formgen.hints import media_for
from playground.catalog.models import Endpoint

MEDIA = ("image", "video", "audio")
_cache: dict[str, Any] = {"version": None, "targets": {}}


@dataclass(frozen=True)
class Target:
    endpoint_id: str
    title: str
    group: str
    field: str
    many: bool  # the field takes a list of URLs


def targets(media: str) -> list[Target]:
    """Models with a file field for `media`, by title; [] for anything else."""
    if media not in MEDIA:
        return []
    version = Endpoint.objects.aggregate(n=Count("id"), last=Max("updated"))
    if _cache["version"] != version:
        _cache["targets"] = _scan()
        _cache["version"] = version
    return _cache["targets"].get(media, [])


def target_field(endpoint: Endpoint, field: str) -> Target | None:
    """The file field `field` of `endpoint`, if it is one a file can be sent to."""
    for item in _file_fields(endpoint):
        if item.field == field:
            return item
    return None


def _scan() -> dict[str, list[Target]]:
    found: dict[str, list[Target]] = {media: [] for media in MEDIA}
    rows = Endpoint.objects.only("endpoint_id", "title", "group", "input_schema")
    for endpoint in rows.order_by("title", "endpoint_id"):
        seen: set[str] = set()
        for media, target in _fields_by_media(endpoint):
            if media not in seen:  # the first (required ones come first) field of a kind
                seen.add(media)
                found[media].append(target)
    return found


def _fields_by_media(endpoint: Endpoint) -> list[tuple[str, Target]]:
    schema = endpoint.input_schema if isinstance(endpoint.input_schema, dict) else {}
    required = schema.get("required") if isinstance(schema.get("required"), list) else []
    pairs = []
    for name, node in (schema.get("properties") or {}).items():
        if not isinstance(node, dict) or "mask" in name:
            continue
        leaf, many = _leaf(node)
        media = media_for(name, leaf) if leaf is not None else None
        if media in MEDIA:
            target = Target(endpoint.endpoint_id, endpoint.title, endpoint.group, name, many)
            pairs.append((media, target))
    pairs.sort(key=lambda pair: pair[1].field not in required)
    return pairs


def _file_fields(endpoint: Endpoint) -> list[Target]:
    return [target for _, target in _fields_by_media(endpoint)]


def _leaf(node: dict[str, Any]) -> tuple[dict[str, Any] | None, bool]:
    """The string schema of a URL field (a nullable union unwrapped), and whether it is a
    list of them; None for anything else."""
    branches = node.get("anyOf") or node.get("oneOf")
    if isinstance(branches, list):
        real = [b for b in branches if isinstance(b, dict) and b.get("type") != "null"]
        if len(real) != 1:
            return None, False
        node = {**real[0], "title": node.get("title"), "ui": node.get("ui")}
    if node.get("type") == "array":
        items = node.get("items")
        if not isinstance(items, dict) or items.get("type") != "string":
            return None, False
        return {**items, "title": node.get("title")}, True
    return (node, False) if node.get("type") == "string" else (None, False)
