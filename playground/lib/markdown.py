"""Markdown of model outputs (LLM answers) as safe HTML, for the panel, the gallery and shares.

Rendered by markdown-it-py (CommonMark, tables and strikethrough; raw HTML in the text is
shown as text, not passed through), then cleaned by nh3 (Ammonia) with a short allow-list:
the text comes from a model, so it is untrusted. No pictures: a remote image would be a
request to somewhere else (and the CSP refuses it); links open nothing of ours and carry
`rel="noopener noreferrer nofollow"`.
"""

from __future__ import annotations

from functools import cache

import nh3
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt

TAGS = {
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "del", "s", "code",
    "pre", "blockquote", "ul", "ol", "li", "a", "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}, "th": {"align"}, "td": {"align"}}
URL_SCHEMES = {"http", "https", "mailto"}


@cache
def _parser() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False, "linkify": False}).enable(
        ["table", "strikethrough"]
    )


def render_markdown(text: str) -> SafeString:
    """`text` (Markdown) as sanitised HTML; plain text comes back as paragraphs."""
    html = _parser().render(text or "")
    cleaned = nh3.clean(
        html,
        tags=TAGS,
        attributes=ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
    )
    return mark_safe(cleaned)
