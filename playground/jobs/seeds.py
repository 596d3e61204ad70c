"""The seed of a run: chosen here when the person leaves it random, so every run stores the
seed that made it (Reuse, re-runs and PNG `parameters` then reproduce the image)."""

from __future__ import annotations

import secrets
from typing import Any

SEED_LIMIT = 2**31 - 1  # fits every fal seed field (int32)
SEED = "seed"


def seed_bounds(schema: dict | None) -> tuple[int, int] | None:
    """(lowest, highest) seed an input schema takes; None when it has no integer `seed`."""
    node = ((schema or {}).get("properties") or {}).get(SEED)
    if not isinstance(node, dict):
        return None
    choices = node.get("anyOf") or node.get("oneOf") or [node]
    for choice in choices:
        if isinstance(choice, dict) and choice.get("type") == "integer":
            low = _int(choice.get("minimum"), 0)
            high = min(_int(choice.get("maximum"), SEED_LIMIT), SEED_LIMIT)
            return (low, high) if high >= low else None
    return None


def with_seed(schema: dict | None, data: dict) -> dict:
    """`data` with a random seed added when the schema takes one and none is given (or it
    is null): fal would pick one the result may not report."""
    bounds = seed_bounds(schema)
    if bounds is None or data.get(SEED) is not None:
        return data
    low, high = bounds
    return {**data, SEED: low + secrets.randbelow(high - low + 1)}


def seed_of(generation: Any) -> Any:
    """The seed that made a generation: the one its result reports, else the one sent."""
    output = generation.output if isinstance(generation.output, dict) else {}
    inputs = generation.input if isinstance(generation.input, dict) else {}
    seed = output.get(SEED)
    return seed if seed is not None else inputs.get(SEED)


def input_with_used_seed(generation: Any) -> dict:
    """The generation's input with the seed that made it (for Reuse and PNG parameters)."""
    data = dict(generation.input) if isinstance(generation.input, dict) else {}
    seed = seed_of(generation)
    if seed is not None and (SEED in data or seed_bounds(_schema(generation)) is not None):
        data[SEED] = seed
    return data


def _schema(generation: Any) -> dict | None:
    model = getattr(generation, "model", None)
    return model.input_schema if model is not None else None


def _int(value: Any, default: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return default
    return int(value)
