"""How planning writes values: short labels for axes, and values as messages quote them.

Shared by the planners (plan.py), the sweep parser (sweep_values.py) and the schema's
refusals (schema_check.py), so a value reads the same in an axis label and in an error.
"""

from __future__ import annotations

import json
from typing import Any

LABEL_CHARS = 40
TIMES = "\N{MULTIPLICATION SIGN}"  # sizes read "1024 times 768" with the proper sign


def _label(value: Any) -> str:
    """A short label for a swept value: 3.5, on, landscape_4_3, 1024x768 (with a times sign)."""
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, int | float):
        return _num(value)
    if isinstance(value, dict) and set(value) == {"width", "height"}:
        return f"{value['width']}{TIMES}{value['height']}"
    if isinstance(value, str):
        return _shorten(value)
    return _shorten(json.dumps(value, separators=(",", ":")))


def _show(value: Any) -> str:
    """A value as it appears in messages: numbers bare, text quoted, long things cut."""
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, int | float):
        return str(value)
    return _shorten(json.dumps(value, ensure_ascii=False, separators=(",", ":")))


def _num(value: Any) -> str:
    return repr(value) if isinstance(value, float) else str(value)


def _shorten(text: str, limit: int = LABEL_CHARS) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _humanize(field: str) -> str:
    words = field.replace("_", " ").strip()
    return words[:1].upper() + words[1:]
