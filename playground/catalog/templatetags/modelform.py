"""Template tags and filters of the model page's generated form."""

from __future__ import annotations

import functools
import re

from django import template
from django.template import engines
from django.utils.html import escape, format_html, format_html_join, json_script
from django.utils.safestring import SafeString, mark_safe

from playground.catalog import previews
from playground.catalog.templatetags.binding import FieldView

register = template.Library()
REQUIRED_MARK = mark_safe('<span class="field__required" aria-hidden="true">*</span>')

_BACKTICKS = re.compile(r"`([^`\n]+)`")
MEDIA_ICONS = {"image": "image", "audio": "music", "video": "film"}


@register.filter
def inline_code(text: str) -> SafeString:
    """Escape help text, then show `backticked` words as code, as fal's docs write them."""
    return mark_safe(_BACKTICKS.sub(r"<code>\1</code>", escape(text)))


@register.filter
def media_icon(media: str) -> str:
    """The icon template of a media kind (for `{% icon %}`)."""
    return f"catalog/fields/icons/{MEDIA_ICONS.get(media, 'file')}.svg"


@register.filter
def example_text(examples: list) -> str:
    """The first string example, shortened, as a placeholder."""
    for example in examples or []:
        if isinstance(example, str) and example.strip():
            text = " ".join(example.split())
            text = text if len(text) <= 134 else text[:133].rstrip() + "…"
            return f"e.g. {text}"  # an example, not a value: it must not read as filled in
    return ""


# The pieces every field repeats are tags, not includes: an include costs a template
# render, and a form has dozens of fields (the model page must render in ~15 ms).
@register.simple_tag
def field_label(f: FieldView) -> SafeString:
    """The label row: label (with a required mark) and the default, when there is one."""
    default = (
        format_html('<span class="field__default">Default {}</span>', f.default_text)
        if f.default_text
        else ""
    )
    return format_html(
        '<div class="field__label-row"><label class="field__label" id="{}-label" for="{}">'
        "{}{}</label>{}{}</div>",
        f.id,
        f.id,
        f.label,
        REQUIRED_MARK if f.spec.required else "",
        default,
        blank_toggle(f),
    )


@register.simple_tag
def blank_toggle(f: FieldView) -> SafeString:
    """A small "Send null" / "Send empty" choice: the field is then sent blank instead of
    being left out (which would mean the model's default)."""
    if not f.blank_label:
        return mark_safe("")
    return format_html(
        '<label class="field__blank" title="Send {} instead of the default">'
        '<input type="checkbox" name="{}:blank" value="true" data-blank-toggle{}>{}</label>',
        "null" if f.spec.blank == "null" else "an empty value",
        f.path,
        mark_safe(" checked") if f.blank_on else "",
        f.blank_label,
    )


@register.simple_tag
def required_mark(f: FieldView) -> str:
    return REQUIRED_MARK if f.spec.required else ""


@register.simple_tag
def field_help(f: FieldView, part: str = "") -> SafeString:
    """Help text, then the error list the page fills in as the payload is checked;
    `part` "help" or "errors" draws only one of them (groups put help under their title)."""
    help_text = (
        format_html('<p class="field__help" id="{}">{}</p>', f.help_id, inline_code(f.spec.help))
        if f.spec.help and part != "errors"
        else ""
    )
    if part == "help":
        return mark_safe(help_text)
    errors = format_html_join("", "<li>{}</li>", ((e,) for e in f.errors))
    return format_html(
        '{}<ul class="field__errors" id="{}" data-error-for="{}"{}>{}</ul>',
        help_text,
        f.error_id,
        f.path,
        "" if f.errors else mark_safe(" hidden"),
        errors,
    )


@register.simple_tag
def field_attrs(f: FieldView) -> SafeString:
    """id, name, description, accessible name (bare fields), required and invalid marks."""
    extra = []
    if f.bare:
        extra.append(format_html(' aria-label="{}"', f.aria_label or f.label))
    if f.spec.required and not f.spec.nullable:
        extra.append(mark_safe(" required"))
    if f.errors:
        extra.append(mark_safe(' aria-invalid="true"'))
    if f.blank_on:
        extra.append(mark_safe(" disabled"))  # sent blank: see blank_toggle
    return format_html(
        'id="{}" name="{}" aria-describedby="{}"{}',
        f.id,
        f.path,
        f.describedby,
        mark_safe("".join(extra)),
    )


@register.simple_tag(takes_context=True)
def can_preview(context: template.Context, url: str) -> bool:
    """Whether a file field may show `url` as a picture or player (catalog/previews.py)."""
    request = context.get("request")
    if request is None or not url:
        return False
    base = request.build_absolute_uri("/")
    return previews.can_preview(url, _preview_prefixes(request), base)


@register.simple_tag(takes_context=True)
def preview_prefixes_script(context: template.Context) -> SafeString:
    """The same prefixes for modelform.js, as a JSON data block."""
    request = context.get("request")
    prefixes = _preview_prefixes(request) if request is not None else []
    return json_script(prefixes, "preview-prefixes")


def _preview_prefixes(request: object) -> list[str]:
    # Once per request: a form may have several file fields.
    cached = getattr(request, "_preview_prefixes", None)
    if cached is None:
        cached = previews.preview_prefixes(request)
        request._preview_prefixes = cached  # type: ignore[attr-defined]
    return cached


@register.simple_tag
def icon(name: str, extra_class: str = "") -> SafeString:
    """An SVG from templates/ (e.g. "icons/play.svg"), read once: cheaper than an include."""
    extra = f" {escape(extra_class)}" if extra_class else ""
    return mark_safe(_icon_source(name).replace(ICON_CLASS_SLOT, extra))


ICON_CLASS_SLOT = "{% if icon_class %} {{ icon_class }}{% endif %}"


@functools.cache
def _icon_source(name: str) -> str:
    template, _origin = engines["django"].engine.find_template(name)
    return template.source.strip()
