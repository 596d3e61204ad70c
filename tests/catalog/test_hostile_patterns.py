"""Catastrophic `pattern`s in imported schemas never hang a request (S12): the model page's
payload view answers at once, with the pattern skipped or cut short."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command
from django.urls import reverse

from playground.catalog.importer import BUNDLED_DIR
from playground.catalog.models import Endpoint
from tests.catalog.patterns import HOSTILE, endpoint_with_pattern

pytestmark = [pytest.mark.django_db, pytest.mark.timeout(60, method="thread")]


def post_input(client, endpoint: Endpoint, value: dict):
    url = reverse("catalog:payload", args=[endpoint.endpoint_id])
    return client.post(url, json.dumps({"input": value}), content_type="application/json")


def test_a_nested_quantifier_is_skipped_and_the_input_checked_at_once(client_alice):
    endpoint = endpoint_with_pattern("test/patterns", r"^(a+)+$")

    response = post_input(client_alice, endpoint, {"code": HOSTILE})

    assert response.status_code == 200
    assert response.json()["input"] == {"code": HOSTILE}


def test_a_match_that_takes_too_long_is_refused_with_a_plain_message(client_alice):
    endpoint = endpoint_with_pattern("test/patterns", r"^(a|aa)+$")

    response = post_input(client_alice, endpoint, {"code": HOSTILE})

    assert response.status_code == 422
    assert response.json()["errors"] == {
        "code": ["This value took too long to check against its pattern."]
    }


def test_the_form_field_does_not_hand_a_hanging_pattern_to_the_browser(client_alice):
    endpoint = endpoint_with_pattern("test/patterns", r"^(a+)+$")

    page = client_alice.get(reverse("catalog:model", args=[endpoint.endpoint_id]))

    assert page.status_code == 200
    assert "(a+)+" not in page.content.decode()


def test_import_drops_hanging_patterns_and_reports_them(tmp_path, capsys):
    doc = json.loads((BUNDLED_DIR / "fal-ai__flux__dev.json").read_text())
    doc["components"]["schemas"]["FluxDevInput"]["properties"]["prompt"]["pattern"] = r"^(\w+\s?)*$"
    (tmp_path / "flux.json").write_text(json.dumps(doc))

    call_command("import_schemas", str(tmp_path))

    prompt = Endpoint.objects.get(endpoint_id="fal-ai/flux/dev").input_schema["properties"][
        "prompt"
    ]
    assert "pattern" not in prompt
    err = capsys.readouterr().err
    assert "? fal-ai/flux/dev: input /properties/prompt: dropped pattern" in err
    assert "nests quantifiers" in err
