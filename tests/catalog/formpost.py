"""What a browser would post for a generated form: render the fields as the model page does,
then serialise them as FormData does (disabled fieldsets, <template> rows, unchecked boxes
and unselected options are not posted). Required fields left empty can be filled with
sample values, as a person would."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

from django.template.loader import render_to_string

from playground.catalog.formgen import build_form, decode, encode
from playground.catalog.formgen.encode import leaf_text
from playground.catalog.formgen.examples import sample
from playground.catalog.formgen.spec import INDEX, UNION, FieldSpec
from playground.catalog.formgen.validate import REQUIRED
from playground.catalog.templatetags.binding import bind, defaults_of


def render_fields(schema: dict[str, Any], value: dict[str, Any] | None = None) -> str:
    form = build_form(schema)
    start = defaults_of(form) if value is None else value
    context = {"form": bind(form, encode(schema, start))}
    return render_to_string("catalog/model.html#fields", context)


class _FormData(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.posted: list[tuple[str, str]] = []
        self.fieldsets: list[bool] = []  # open fieldsets: disabled or not
        self.templates = 0
        self.select: tuple[str, bool] | None = None  # (name, posts) of the open <select>
        self.options: list[tuple[str, bool]] = []
        self.textarea: tuple[str, bool] | None = None
        self.text = ""

    def _off(self, attrs: dict[str, Any]) -> bool:
        return any(self.fieldsets) or bool(self.templates) or "disabled" in attrs

    def handle_starttag(self, tag: str, pairs: list[tuple[str, str | None]]) -> None:
        attrs = {k: v or "" for k, v in pairs}
        if tag == "fieldset":
            self.fieldsets.append("disabled" in attrs)
        elif tag == "template":
            self.templates += 1
        elif tag == "input" and attrs.get("name") and not self._off(attrs):
            kind = attrs.get("type", "text")
            if kind in ("checkbox", "radio") and "checked" not in attrs:
                return
            if kind != "file":
                self.posted.append((attrs["name"], attrs.get("value", "")))
        elif tag == "select":
            self.select = (attrs.get("name", ""), bool(attrs.get("name")) and not self._off(attrs))
            self.options = []
        elif tag == "option" and self.select:
            self.options.append((attrs.get("value", ""), "selected" in attrs))
        elif tag == "textarea":
            name = attrs.get("name", "")
            self.textarea = (name, bool(name) and not self._off(attrs))
            self.text = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "fieldset":
            self.fieldsets.pop()
        elif tag == "template":
            self.templates -= 1
        elif tag == "select" and self.select:
            name, posts = self.select
            chosen = [v for v, selected in self.options if selected] or [
                v for v, _ in self.options[:1]
            ]
            if posts and chosen:
                self.posted.append((name, chosen[-1]))
            self.select = None
        elif tag == "textarea" and self.textarea:
            name, posts = self.textarea
            if posts:
                # The HTML parser drops the newline a <textarea> starts with, as browsers do.
                self.posted.append((name, self.text[1:] if self.text[:1] == "\n" else self.text))
            self.textarea = None

    def handle_data(self, data: str) -> None:
        if self.textarea:
            self.text += data


def form_data(html: str) -> dict[str, list[str]]:
    parser = _FormData()
    parser.feed(html)
    posted: dict[str, list[str]] = {}
    for name, value in parser.posted:
        posted.setdefault(name, []).append(value)
    return posted


def _specs(fields: list[FieldSpec]) -> list[FieldSpec]:
    found = []
    for field in fields:
        found.append(field)
        nested = [*field.children, *([field.item] if field.item else [])]
        found += _specs(nested + [b.field for b in field.branches])
    return found


def spec_at(schema: dict[str, Any], path: str) -> FieldSpec | None:
    """The field whose posted name is `path` (array rows match their template's index)."""
    for field in _specs(build_form(schema).fields):
        pattern = re.escape(field.path).replace(re.escape(INDEX), r"\d+")
        if re.fullmatch(pattern, path):
            return field
    return None


def fill_required(
    schema: dict[str, Any], posted: dict[str, list[str]], added: tuple[str, ...] = ()
) -> dict[str, list[str]]:
    """Fill what the form reports as required and empty with a sample value, inside the
    schema's required properties (and the optional ones in `added`) only: a person never
    has to fill in a part of the input the schema lets them leave out."""
    top = {f.name for f in build_form(schema).fields if f.required} | set(added)
    filled = dict(posted)
    for _ in range(5):  # a filled union or row may reveal more required members
        errors = decode(schema, filled).errors
        missing = [
            p
            for p, messages in errors.items()
            if messages == [REQUIRED] and re.split(r"[.:]", p)[0] in top
        ]
        if not missing:
            break
        for path in missing:
            field = spec_at(schema, path)
            if field is None:
                continue
            value = sample(field)
            if field.kind != UNION and not isinstance(value, dict | list):
                filled[path] = [leaf_text(field, value)]
            elif "." not in path and ":" not in path:
                filled |= encode(schema, {path: value})  # a union, object or list: whole
    return filled
