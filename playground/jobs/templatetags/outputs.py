"""Showing outputs by kind: text as Markdown, a streaming run's partial output by what it
holds (text so far, image previews, other fields)."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.safestring import SafeString

from playground.jobs.templatetags.jobs_tags import TEXT_KEYS
from playground.lib.markdown import render_markdown

register = template.Library()
# Fields of a partial event that say how it streams, not what it made (an error is shown
# when it says something).
STREAM_FLAGS = {"partial"}


@register.filter
def markdown(text: Any) -> SafeString:
    return render_markdown(str(text or ""))


@register.simple_tag
def partial_view(data: Any) -> dict[str, Any]:
    """{"text": the text so far, "images": preview URLs, "other": the remaining fields}."""
    if not isinstance(data, dict):
        return {"text": "", "images": [], "other": data}
    text_key = next((k for k in TEXT_KEYS if isinstance(data.get(k), str)), None)
    images = data.get("images") or ([data["image"]] if isinstance(data.get("image"), dict) else [])
    urls = [i["url"] for i in images if isinstance(i, dict) and isinstance(i.get("url"), str)]
    shown = {text_key, "images" if urls else None, "image" if urls else None}
    other = {
        key: value
        for key, value in data.items()
        if key not in shown and key not in STREAM_FLAGS and not (key == "error" and not value)
    }
    return {"text": data[text_key] if text_key else "", "images": urls, "other": other}
