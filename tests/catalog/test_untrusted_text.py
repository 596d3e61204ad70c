"""Text from outside (form help texts, imported fal schemas) is shown as text, never HTML."""

from __future__ import annotations

import pytest
from django import forms
from django.template.loader import render_to_string
from django.urls import reverse

from playground.catalog.models import Endpoint

pytestmark = pytest.mark.django_db
PAYLOAD = "<img src=x onerror=alert(1)>"


def test_form_help_text_is_shown_as_text():
    class Form(forms.Form):
        name = forms.CharField(help_text=PAYLOAD)

    html = render_to_string("includes/field.html", {"field": Form()["name"]})

    assert PAYLOAD not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


def test_a_schema_description_is_shown_as_text(client_alice):
    schema = {
        "type": "object",
        "properties": {"prompt": {"type": "string", "description": f"Say `hi` {PAYLOAD}"}},
    }
    Endpoint.objects.create(
        endpoint_id="evil/model",
        title="Evil",
        category="text-to-image",
        description=PAYLOAD,
        input_schema=schema,
        output_schema={"type": "object", "properties": {}},
        schema_sha="1" * 64,
        modes=["queue"],
    )

    html = client_alice.get(reverse("catalog:model", args=["evil/model"])).text

    assert PAYLOAD not in html and "<img src=x" not in html
    # Backticks still become code, as fal's docs write them; the rest stays text.
    assert "Say <code>hi</code> &lt;img src=x onerror=alert(1)&gt;" in html
