"""`{% inline_script "name" %}`: one of the inline scripts the CSP allows by hash."""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString, mark_safe

from playground.lib.csp import INLINE_SCRIPTS

register = template.Library()


@register.simple_tag
def inline_script(name: str) -> SafeString:
    """The script exactly as hashed in the policy (playground/lib/csp.py): any other
    inline script on a page is refused by the browser."""
    return mark_safe(f"<script>{INLINE_SCRIPTS[name]}</script>")
