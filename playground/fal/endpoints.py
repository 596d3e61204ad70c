"""Endpoint ids as fal's clients understand them (fal-protocol.md §2)."""

from __future__ import annotations

import re
from dataclasses import dataclass

NAMESPACES = ("workflows", "comfy")
_LEGACY_NUMERIC = re.compile(r"^(\d+)-([\w.-]+)$")
_SEGMENT = re.compile(r"^[A-Za-z0-9][\w.-]*$")


class InvalidEndpointId(ValueError):
    pass


@dataclass(frozen=True)
class EndpointId:
    owner: str
    alias: str
    path: str = ""
    namespace: str = ""

    @classmethod
    def parse(cls, endpoint_id: str) -> EndpointId:
        """Raises InvalidEndpointId for anything that is not owner/alias[/path...]."""
        raw = endpoint_id.strip().strip("/")
        legacy = _LEGACY_NUMERIC.match(raw)
        if legacy:
            raw = f"{legacy.group(1)}/{legacy.group(2)}"
        parts = raw.split("/")
        namespace = ""
        if parts and parts[0] in NAMESPACES:
            namespace, parts = parts[0], parts[1:]
        if len(parts) < 2 or not all(_SEGMENT.match(p) for p in parts):
            raise InvalidEndpointId(
                f"Invalid app id {endpoint_id!r}. Must be in the format <appOwner>/<appId>"
            )
        return cls(owner=parts[0], alias=parts[1], path="/".join(parts[2:]), namespace=namespace)

    @property
    def full(self) -> str:
        """What submit, run and stream use: the whole id."""
        return "/".join(p for p in (self.namespace, self.owner, self.alias, self.path) if p)

    @property
    def app(self) -> str:
        """What status, result and cancel use: namespace/owner/alias, no sub-path."""
        return "/".join(p for p in (self.namespace, self.owner, self.alias) if p)
