"""Adding any endpoint by id: pasted OpenAPI or JSON Schema, no schema at all, or fetched
from fal; refused clearly for bad input, never a 500; the emulator then serves it."""

from __future__ import annotations

import json
import re

import httpx
import pytest
from django.urls import reverse

from playground.catalog import adding
from playground.catalog.importer import BUNDLED_DIR
from playground.catalog.models import Endpoint
from playground.fal import platform
from playground.fal.errors import FalConnectionError, FalNotFoundError
from playground.fal.platform import PlatformResponseError, fetch_openapi

pytestmark = pytest.mark.django_db
URL = reverse("catalog:add")
COMFY = "comfy/acme/upscale-flow"
INPUT_SCHEMA = {
    "type": "object",
    "properties": {
        "prompt": {"type": "string", "title": "Prompt"},
        "steps": {"type": "integer", "minimum": 1, "maximum": 50, "default": 20},
    },
    "required": ["prompt"],
}


def post(client, **data):
    return client.post(URL, {"source": "paste", "document": "", **data})


@pytest.fixture
def signed_in(client, alice):
    client.force_login(alice)
    return client


def test_visitors_are_sent_to_log_in(client):
    assert client.get(URL).status_code == 302
    response = post(client, endpoint_id=COMFY, source="none")
    assert response.status_code == 302 and "/login/" in response["Location"]
    assert not Endpoint.objects.filter(endpoint_id=COMFY).exists()


def test_offline_the_form_offers_paste_first_and_says_why_fal_is_out(signed_in, settings):
    settings.FAL_MODE = "local"
    html = signed_in.get(URL, {"endpoint_id": COMFY}).content.decode()

    assert re.search(r'value="paste"[^>]*checked', html)
    assert not re.search(r'value="fetch"[^>]*checked', html)
    assert "this server runs the local emulator" in html
    assert f'value="{COMFY}"' in html


def test_a_pasted_json_schema_becomes_a_model_with_its_form(signed_in, alice):
    response = post(signed_in, endpoint_id=COMFY, document=json.dumps(INPUT_SCHEMA))

    assert response.status_code == 302
    assert response["Location"] == f"/models/{COMFY}/"
    endpoint = Endpoint.objects.get(endpoint_id=COMFY)
    assert endpoint.input_schema["properties"]["prompt"]["type"] == "string"
    assert endpoint.metadata["added_by"] == alice.pk
    assert endpoint.source == "imported"
    page = signed_in.get(response["Location"]).content.decode()
    assert 'name="prompt"' in page and 'name="steps"' in page
    assert f"Added {COMFY} to the catalog." in page


def test_a_pasted_openapi_document_is_imported_under_the_typed_id(signed_in):
    doc = json.loads((BUNDLED_DIR / "fal-ai__flux__schnell.json").read_text())
    doc["info"]["x-fal-metadata"].pop("endpointId")
    doc["paths"] = {
        path.replace("fal-ai/flux/schnell", "workflows/acme/my-flux"): ops
        for path, ops in doc["paths"].items()
    }

    response = post(signed_in, endpoint_id="workflows/acme/my-flux", document=json.dumps(doc))

    assert response.status_code == 302
    endpoint = Endpoint.objects.get(endpoint_id="workflows/acme/my-flux")
    assert "prompt" in endpoint.input_schema["properties"]


def test_a_document_for_another_endpoint_is_refused(signed_in):
    doc = (BUNDLED_DIR / "fal-ai__flux__schnell.json").read_text()

    response = post(signed_in, endpoint_id=COMFY, document=doc)

    assert response.status_code == 422
    assert "describes fal-ai/flux/schnell, not comfy/acme/upscale-flow" in response.content.decode()
    assert not Endpoint.objects.filter(endpoint_id=COMFY).exists()


def test_without_a_schema_the_model_page_is_one_json_editor(signed_in):
    response = post(signed_in, endpoint_id=COMFY, source="none")
    assert response.status_code == 302

    page = signed_in.get(f"/models/{COMFY}/").content.decode()
    assert 'name="__input__"' in page
    assert "data-json-field" in page

    payload = reverse("catalog:payload", args=[COMFY])
    ok = signed_in.post(payload, {"__input__": '{"workflow": {"nodes": 3}}'})
    assert ok.status_code == 200 and "errors" not in ok.json()
    assert ok.json()["input"] == {"workflow": {"nodes": 3}}
    not_object = signed_in.post(payload, {"__input__": "[1, 2]"})
    assert not_object.status_code == 200  # a draft that needs attention, not a failed request
    assert "Enter a JSON object" in not_object.json()["errors"]["__input__"][0]
    broken = signed_in.post(payload, {"__input__": "{nope"})
    assert broken.json()["errors"]["__input__"] == ["Enter valid JSON."]


def test_the_emulator_serves_an_added_endpoint(signed_in, settings):
    post(signed_in, endpoint_id=COMFY, document=json.dumps(INPUT_SCHEMA))
    key = {"HTTP_AUTHORIZATION": f"Key {settings.LOCALFAL_KEY}"}

    ran = signed_in.post(
        f"/localfal/run/{COMFY}", {"prompt": "a fox"}, content_type="application/json", **key
    )
    invalid = signed_in.post(
        f"/localfal/run/{COMFY}", {"steps": 99}, content_type="application/json", **key
    )

    assert ran.status_code == 200, ran.content
    assert isinstance(ran.json(), dict)
    assert invalid.status_code == 422


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"endpoint_id": "not an id", "source": "none"}, "Enter an id like owner/app"),
        ({"endpoint_id": "../../etc", "source": "none"}, "Enter an id like owner/app"),
        ({"endpoint_id": "fal-ai/flux/dev", "source": "none"}, "already in the catalog"),
        ({"endpoint_id": COMFY, "document": ""}, "Paste the OpenAPI document"),
        ({"endpoint_id": COMFY, "document": "{nope"}, "That is not valid JSON"),
        ({"endpoint_id": COMFY, "document": "[1]"}, "Paste a JSON object"),
        ({"endpoint_id": COMFY, "document": "[" * 100_000}, "That is not valid JSON"),
        ({"endpoint_id": COMFY, "document": '{"type": 5}'}, "not a valid JSON Schema"),
        (
            {"endpoint_id": COMFY, "document": '{"properties": {"a": {"$ref": "https://x/s"}}}'},
            "refers outside the document",
        ),
        (
            {"endpoint_id": COMFY, "document": json.dumps({"a": "x" * 600_000})},
            "larger than 512 KB",
        ),
        ({"endpoint_id": COMFY, "source": "carrier-pigeon"}, "Select a valid choice"),
    ],
)
def test_bad_input_gets_a_clear_message_and_adds_nothing(signed_in, data, message):
    before = Endpoint.objects.count()

    response = post(signed_in, **data)

    assert response.status_code == 422
    assert message in response.content.decode()
    assert Endpoint.objects.count() == before


def test_fetching_from_fal_offline_is_refused_with_a_way_out(signed_in, settings):
    settings.FAL_MODE = "local"
    response = post(signed_in, endpoint_id=COMFY, source="fetch")
    assert response.status_code == 422
    assert "paste the endpoint&#x27;s OpenAPI document" in response.content.decode()


def test_patterns_that_could_hang_validation_are_dropped_and_said(signed_in):
    schema = {"type": "object", "properties": {"code": {"type": "string", "pattern": "^(a+)+$"}}}

    response = post(signed_in, endpoint_id=COMFY, document=json.dumps(schema))

    assert response.status_code == 302
    assert (
        "pattern" not in Endpoint.objects.get(endpoint_id=COMFY).input_schema["properties"]["code"]
    )
    page = signed_in.get(response["Location"]).content.decode()
    assert "left out of its schema as unsafe" in page


def test_one_person_may_add_only_so_many(signed_in, alice, monkeypatch):
    monkeypatch.setattr(adding, "MAX_ADDED_PER_USER", 1)
    assert post(signed_in, endpoint_id="acme/one", source="none").status_code == 302

    response = post(signed_in, endpoint_id="acme/two", source="none")

    assert response.status_code == 422
    assert "the most one person may add" in response.content.decode()


# --- fetching from fal --------------------------------------------------------------------


def fal_transport(handler):
    return lambda: httpx.MockTransport(handler)


def public(host, port):
    return ["151.101.1.1"]


def test_online_the_document_is_fetched_from_fal_with_the_persons_key(
    signed_in, settings, monkeypatch
):
    settings.FAL_MODE = "fal"
    settings.FAL_KEY = "server-id:secret"
    doc = json.loads((BUNDLED_DIR / "fal-ai__flux__schnell.json").read_text())
    doc["info"]["x-fal-metadata"]["endpointId"] = COMFY
    doc["paths"] = {p.replace("fal-ai/flux/schnell", COMFY): o for p, o in doc["paths"].items()}
    seen = []

    def handler(request):
        seen.append(request)
        return httpx.Response(200, json=doc)

    real = platform.fetch_openapi
    monkeypatch.setattr(
        platform,
        "fetch_openapi",
        lambda endpoint_id, *, key: real(
            endpoint_id, key=key, transport=fal_transport(handler), resolve=public
        ),
    )

    response = post(signed_in, endpoint_id=COMFY, source="fetch")

    assert response.status_code == 302
    assert Endpoint.objects.filter(endpoint_id=COMFY).exists()
    (request,) = seen
    assert request.url.params["endpoint_id"] == COMFY
    assert request.headers["Host"] == "fal.ai"
    assert request.url.path == "/api/openapi/queue/openapi.json"
    assert request.headers["Authorization"] == "Key server-id:secret"


def test_an_id_fal_does_not_know_is_said_in_plain_words(signed_in, settings, monkeypatch):
    settings.FAL_MODE = "fal"

    def unknown(endpoint_id, *, key):
        raise FalNotFoundError("Not found", status_code=404)

    monkeypatch.setattr(platform, "fetch_openapi", unknown)

    response = post(signed_in, endpoint_id=COMFY, source="fetch")

    assert response.status_code == 422
    assert "fal has no endpoint comfy/acme/upscale-flow" in response.content.decode()


def test_fetch_maps_fals_answers_to_typed_errors(settings):
    def answer(response):
        return fal_transport(lambda request: response)

    with pytest.raises(FalNotFoundError):
        fetch_openapi(COMFY, key=None, transport=answer(httpx.Response(404)), resolve=public)
    with pytest.raises(PlatformResponseError, match="not JSON"):
        fetch_openapi(
            COMFY, key=None, transport=answer(httpx.Response(200, text="<html>")), resolve=public
        )
    with pytest.raises(PlatformResponseError, match="larger than"):
        big = httpx.Response(200, content=b"{" + b" " * (platform.MAX_OPENAPI_BYTES + 1))
        fetch_openapi(COMFY, key=None, transport=answer(big), resolve=public)
    # A redirect is not followed: fal's document endpoint answers directly.
    moved = httpx.Response(302, headers={"Location": "http://169.254.169.254/"})
    with pytest.raises(Exception) as raised:
        fetch_openapi(COMFY, key=None, transport=answer(moved), resolve=public)
    assert "169.254" not in str(raised.value) or raised.type is not None


def test_fetch_never_connects_to_a_private_address():
    def local(host, port):
        return ["127.0.0.1"]

    def never(request):
        raise AssertionError("connected")

    with pytest.raises(FalConnectionError, match="not a public address"):
        fetch_openapi(COMFY, key=None, transport=fal_transport(never), resolve=local)


def test_staff_see_who_added_an_endpoint_and_can_remove_it(signed_in, client, admin_user):
    post(signed_in, endpoint_id=COMFY, source="none")
    endpoint = Endpoint.objects.get(endpoint_id=COMFY)
    client.force_login(admin_user)

    listing = client.get(reverse("admin:catalog_endpoint_changelist"), {"q": "acme"})
    assert COMFY in listing.content.decode()
    deleted = client.post(
        reverse("admin:catalog_endpoint_delete", args=[endpoint.pk]), {"post": "yes"}
    )

    assert deleted.status_code == 302
    assert not Endpoint.objects.filter(endpoint_id=COMFY).exists()
