from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.filter
def get_item(mapping: Any, key: str) -> Any:
    """`mapping[key]` (a QueryDict's last value), "" when absent: field names built in the
    template (`__x_field`) cannot be looked up with a dot."""
    try:
        return mapping.get(key, "")
    except AttributeError:
        return ""
