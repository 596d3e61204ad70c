"""The realtime page's form: the endpoint's own generated form, less its picture field.

The picture comes from the canvas, webcam or upload, frame by frame. In the page's form it
is a hidden input holding FRAME_MARKER, so the model page's live validation (formgen's
decode through catalog:payload) sees a complete input; the relay puts each frame there.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import QueryDict

from playground.catalog import formgen
from playground.catalog.formgen.spec import FILE, FieldSpec, FormSpec
from playground.catalog.models import Endpoint
from playground.catalog.views.model import form_for

FRAME_MARKER = "(live frame)"


@dataclass(frozen=True)
class RealtimeForm:
    schema: dict[str, Any]
    form: FormSpec  # every field but the picture
    image_field: str | None  # the top-level property the frames go to; None: prompt only


def realtime_form(endpoint: Endpoint) -> RealtimeForm:
    full = form_for(endpoint)  # cached per schema version by the catalog
    picture = image_field(full)
    fields = [f for f in full.fields if f.name != picture]
    return RealtimeForm(endpoint.input_schema, FormSpec(fields), picture)


def image_field(form: FormSpec) -> str | None:
    """The input picture: a top-level image file field (a required one first), never a
    mask."""
    candidates = [f for f in form.fields if _is_picture(f)]
    candidates.sort(key=lambda f: not f.required)
    return candidates[0].name if candidates else None


def _is_picture(field: FieldSpec) -> bool:
    return field.kind == FILE and field.media == "image" and "mask" not in field.name


def decode_params(
    spec: RealtimeForm, pairs: list[tuple[str, str]]
) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """Posted form pairs -> (input without the picture, errors by path). Never raises."""
    posted = QueryDict(mutable=True)
    for name, value in pairs:
        posted.appendlist(name, value)
    if spec.image_field:
        posted.setlist(spec.image_field, [FRAME_MARKER])
    decoded = formgen.decode(spec.schema, posted)
    params = {k: v for k, v in decoded.input.items() if k != spec.image_field}
    errors = {p: m for p, m in decoded.errors.items() if p.split(".")[0] != spec.image_field}
    return params, errors
