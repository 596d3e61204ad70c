"""Add any endpoint to the catalog by its id: ComfyUI (`comfy/...`), workflows
(`workflows/...`), private apps, models the bundled catalog lacks.

Three ways to get its schema:
- fetch: fal's OpenAPI document for the id (fal mode, through playground/fal/);
- paste: an OpenAPI document or a bare JSON Schema of the input (works offline);
- none: no schema at all; the model page is one JSON editor (formgen/freeform.py).

Anyone signed in may add an endpoint; it joins the shared catalog (the emulator then
serves it like any other). Added endpoints never replace one already there, pasted
documents are size-limited and vetted like imported ones (schemaguard).
"""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.conf import settings
from jsonschema import SchemaError
from jsonschema.validators import validator_for

from playground.catalog.importer import ImportReport, import_document
from playground.catalog.models import Endpoint, Source
from playground.catalog.openapi import SchemaDocumentError
from playground.fal.endpoints import EndpointId, InvalidEndpointId

MAX_DOCUMENT_BYTES = 512 * 1024
MAX_ADDED_PER_USER = 100
MAX_ID_LENGTH = 200
FETCH, PASTE, NONE = "fetch", "paste", "none"
FREE_OUTPUT: dict[str, Any] = {"type": "object"}


class AddRefused(Exception):
    """The endpoint cannot be added; the message says why, for the person."""


class AddEndpointForm(forms.Form):
    endpoint_id = forms.CharField(
        label="Endpoint id",
        max_length=MAX_ID_LENGTH,
        help_text="As fal names it: owner/app[/path], comfy/owner/app or workflows/owner/app.",
        widget=forms.TextInput(
            attrs={
                "placeholder": "comfy/your-team/your-workflow",
                "autocomplete": "off",
                "autocapitalize": "off",
                "spellcheck": "false",
                "autofocus": True,
            }
        ),
    )
    source = forms.ChoiceField(
        label="Schema",
        widget=forms.RadioSelect,
        choices=[
            (FETCH, "Fetch its OpenAPI document from fal"),
            (PASTE, "Paste an OpenAPI document or a JSON Schema of its input"),
            (NONE, "No schema: type the input as JSON"),
        ],
    )
    document = forms.CharField(
        label="OpenAPI document or JSON Schema",
        required=False,
        strip=False,
        help_text=f"JSON, at most {MAX_DOCUMENT_BYTES // 1024} KB. Used with “Paste”.",
        widget=forms.Textarea(attrs={"rows": 10, "spellcheck": "false"}),
    )

    def __init__(self, *args: Any, online: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.online = online
        self.fields["source"].initial = FETCH if online else PASTE
        self.parsed: dict[str, Any] | None = None

    def clean_endpoint_id(self) -> str:
        try:
            endpoint_id = EndpointId.parse(self.cleaned_data["endpoint_id"]).full
        except InvalidEndpointId:
            raise forms.ValidationError(
                "Enter an id like owner/app, comfy/owner/app or workflows/owner/app "
                "(letters, digits, “-”, “_” and “.”)."
            ) from None
        if Endpoint.objects.filter(endpoint_id=endpoint_id).exists():
            raise forms.ValidationError(f"{endpoint_id} is already in the catalog.")
        return endpoint_id

    def clean_document(self) -> str:
        text = self.cleaned_data.get("document") or ""
        if len(text.encode()) > MAX_DOCUMENT_BYTES:
            raise forms.ValidationError(
                f"That document is larger than {MAX_DOCUMENT_BYTES // 1024} KB."
            )
        return text

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        source = data.get("source")
        if source == FETCH and not self.online:
            self.add_error(
                "source",
                "This server runs the local emulator, without fal: paste the endpoint's "
                "OpenAPI document or JSON Schema, or add it without a schema.",
            )
        elif source == PASTE:
            if not (data.get("document") or "").strip():
                self.add_error("document", "Paste the OpenAPI document or JSON Schema.")
            elif "document" in data:
                try:
                    self.parsed = parse_pasted(data["document"])
                except AddRefused as exc:
                    self.add_error("document", str(exc))
        return data


def parse_pasted(text: str) -> dict[str, Any]:
    """The pasted JSON as an object; raises AddRefused when it is not one."""
    try:
        value = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise AddRefused(f"That is not valid JSON: {str(exc)[:200]}") from None
    if not isinstance(value, dict):
        raise AddRefused("Paste a JSON object: an OpenAPI document or a JSON Schema.")
    return value


def is_openapi(document: dict[str, Any]) -> bool:
    return "paths" in document or "openapi" in document or "components" in document


def add_endpoint(
    *, user: Any, endpoint_id: str, document: dict[str, Any] | None
) -> tuple[Endpoint, list[str]]:
    """Create the endpoint from an OpenAPI document, a JSON Schema of its input, or nothing
    (schema-less). Returns it with the notes of what was left out (unsafe patterns).
    Raises AddRefused with a message for the person."""
    added = Endpoint.objects.filter(metadata__added_by=user.pk).count()
    if added >= MAX_ADDED_PER_USER:
        raise AddRefused(f"You have added {added} endpoints, the most one person may add.")
    if document is not None and is_openapi(document):
        declared = _declared_id(document)
        if declared and declared != endpoint_id:
            raise AddRefused(f"That document describes {declared}, not {endpoint_id}.")
        document = _with_id(document, endpoint_id)
    else:
        document = _envelope(endpoint_id, document or {})
    _check_schemas(document, endpoint_id)
    report = ImportReport()
    listing = {"metadata": {"added_by": user.pk}}
    try:
        import_document(document, source=Source.IMPORTED, report=report, listing=listing)
    except (SchemaDocumentError, KeyError, TypeError, ValueError, RecursionError) as exc:
        raise AddRefused(f"That document cannot be used: {str(exc)[:300]}") from None
    if endpoint_id not in report.created:
        raise AddRefused(f"{endpoint_id} is already in the catalog.")
    return Endpoint.objects.get(endpoint_id=endpoint_id), report.notes.get(endpoint_id, [])


def _declared_id(document: dict[str, Any]) -> str:
    info = document.get("info")
    meta = info.get("x-fal-metadata") if isinstance(info, dict) else None
    declared = meta.get("endpointId") if isinstance(meta, dict) else None
    return declared if isinstance(declared, str) else ""


def _with_id(document: dict[str, Any], endpoint_id: str) -> dict[str, Any]:
    """The document, declaring `endpoint_id` (documents found by path may not)."""
    info = document.get("info") if isinstance(document.get("info"), dict) else {}
    meta = info.get("x-fal-metadata") if isinstance(info.get("x-fal-metadata"), dict) else {}
    return {
        **document,
        "info": {**info, "x-fal-metadata": {**meta, "endpointId": endpoint_id}},
    }


def _envelope(endpoint_id: str, input_schema: dict[str, Any]) -> dict[str, Any]:
    """A JSON Schema (or `{}`: no schema) in the simplified OpenAPI envelope the importer
    reads (fal-protocol.md §16). Its output is any object."""
    return {
        "openapi": "3.0.4",
        "info": {"x-fal-metadata": {"endpointId": endpoint_id, "category": "other"}},
        "paths": {},
        "components": {"schemas": {"Input": input_schema, "Output": FREE_OUTPUT}},
    }


def _check_schemas(document: dict[str, Any], endpoint_id: str) -> None:
    """Every schema in the document is a valid JSON Schema whose `$ref`s stay inside it:
    a remote `$ref` would make validation fetch a URL."""
    components = (document.get("components") or {}) if isinstance(document, dict) else {}
    schemas = components.get("schemas") if isinstance(components, dict) else None
    if not isinstance(schemas, dict):
        raise AddRefused("That OpenAPI document has no components.schemas.")
    for name, schema in schemas.items():
        if not isinstance(schema, dict):
            raise AddRefused(f"Schema {name!r} is not a JSON object.")
        remote = _remote_ref(schema)
        if remote:
            raise AddRefused(f"Schema {name!r} refers outside the document ({remote[:100]}).")
        try:
            validator_for(schema).check_schema(schema)
        except SchemaError as exc:
            raise AddRefused(f"Schema {name!r} is not a valid JSON Schema: {exc.message}") from None
        except RecursionError:
            raise AddRefused(f"Schema {name!r} is nested too deeply.") from None


def _remote_ref(node: Any, depth: int = 0) -> str | None:
    if depth > 200:
        raise AddRefused("That document is nested too deeply.")
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and not ref.startswith("#"):
            return ref
        children = node.values()
    elif isinstance(node, list):
        children = node
    else:
        return None
    for child in children:
        found = _remote_ref(child, depth + 1)
        if found:
            return found
    return None


def online() -> bool:
    """Whether fal can be asked for documents: fal mode (the emulator has no model list)."""
    return settings.FAL_MODE == "fal"
