"""An endpoint whose schema carries a hostile `pattern`, as one imported before patterns
were vetted (or synced from a hostile document) would have left it in the catalog."""

from __future__ import annotations

from playground.catalog.models import Endpoint

HOSTILE = "a" * 40 + "!"  # against ^(a+)+$, Python's re backtracks for hours


def endpoint_with_pattern(endpoint_id: str, pattern: str, *, required: tuple = ()) -> Endpoint:
    schema = {
        "type": "object",
        "properties": {
            "prompt": {"type": "string"},
            "code": {"type": "string", "title": "Code", "pattern": pattern},
        },
        "required": list(required),
    }
    return Endpoint.objects.create(
        endpoint_id=endpoint_id,
        title="Patterns",
        category="llm",
        input_schema=schema,
        output_schema={"type": "object", "properties": {"output": {"type": "string"}}},
        schema_sha="0" * 64,
        modes=["queue", "run"],
    )
