"""`manage.py sync_catalog` against a fake Platform API (httpx.MockTransport; no network)."""

from __future__ import annotations

import copy
import json
from io import StringIO

import httpx
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from playground.catalog.importer import BUNDLED_DIR, import_bundled
from playground.catalog.models import Endpoint
from playground.fal.platform import PlatformClient, PlatformResponseError

pytestmark = pytest.mark.django_db


def document(name: str, endpoint_id: str | None = None) -> dict:
    doc = json.loads((BUNDLED_DIR / name).read_text())
    if endpoint_id:
        doc = copy.deepcopy(doc)
        doc["info"]["x-fal-metadata"]["endpointId"] = endpoint_id
    return doc


def listed(endpoint_id: str, doc: dict | None, **metadata) -> dict:
    item = {
        "endpoint_id": endpoint_id,
        "metadata": {"status": "active", "updated_at": "2026-01-01T00:00:00Z", **metadata},
    }
    if doc is not None:
        item["openapi"] = doc
    return item


FLUX = listed(
    "fal-ai/flux/dev",
    document("fal-ai__flux__dev.json"),
    display_name="FLUX.1 [dev]",
    category="text-to-image",
    description="Fast text-to-image generation with FLUX.1 [dev].",
    tags=["flux", "fast"],
)
NEW_VOICE = listed(
    "acme/new-voice",
    document("fal-ai__minimax__speech-02-hd.json", "acme/new-voice"),
    display_name="Acme Voice",
    category="text-to-speech",
    description="A new voice model.",
)
VEO = listed(
    "fal-ai/veo3",
    document("fal-ai__veo3.json"),
    display_name="Veo 3",
    category="text-to-video",
    description="Google's Veo 3 with sound.",
)
PAGES = {
    None: {"models": [FLUX, NEW_VOICE], "has_more": True, "next_cursor": "Mg==", "total_count": 3},
    "Mg==": {"models": [VEO], "has_more": False, "next_cursor": None, "total_count": 3},
}


class FakePlatform:
    """Serves `pages` by cursor and remembers every request."""

    def __init__(self, pages: dict = PAGES, prices: list | None = None) -> None:
        self.pages = pages
        self.prices = prices or []  # answered by /v1/models/pricing (sync_prices)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        assert request.url.host == "api.fal.ai"
        if request.url.path == "/v1/models/pricing":
            return httpx.Response(200, json={"prices": self.prices, "has_more": False})
        self.requests.append(request)
        assert request.url.path == "/v1/models"
        page = self.pages[request.url.params.get("cursor")]
        if isinstance(page, httpx.Response):
            return page
        return httpx.Response(200, json=page)

    @property
    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self)


def sync(fake, *args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command(
        "sync_catalog",
        *args,
        transport=fake.transport,
        sleep=lambda seconds: None,
        stdout=out,
        stderr=err,
    )
    return out.getvalue(), err.getvalue()


def test_sync_pages_through_the_model_list_and_imports_each_model():
    fake = FakePlatform()

    out, _ = sync(fake)

    assert "1 created, 2 updated, 0 unchanged, 0 failed" in out
    assert "  + acme/new-voice" in out
    # The bundled listing already has fal's title and category; the description is newer.
    assert "  ~ fal-ai/flux/dev (description, search_text)" in out
    first, second = fake.requests
    assert first.url.params["expand"] == "openapi-3.0"
    assert first.url.params["limit"] == "50"
    assert "cursor" not in first.url.params
    assert second.url.params["cursor"] == "Mg=="
    voice = Endpoint.objects.get(endpoint_id="acme/new-voice")
    assert (voice.title, voice.group, voice.source) == ("Acme Voice", "speech", "synced")
    flux = Endpoint.objects.get(endpoint_id="fal-ai/flux/dev")
    assert flux.title == "FLUX.1 [dev]"
    assert flux.category == "text-to-image"
    assert flux.group == "image"
    assert flux.metadata["tags"] == ["flux", "fast"]
    assert "updated_at" not in flux.metadata
    assert "fast text-to-image generation" in flux.search_text


def test_progress_bar_goes_to_stderr_without_a_terminal():
    out, err = sync(FakePlatform())
    assert "[##############################] 3/3" in err
    assert "[" not in out.split("Catalog synced")[0].replace("[dev]", "")


def test_running_again_reports_everything_unchanged():
    sync(FakePlatform())
    before = dict(Endpoint.objects.values_list("endpoint_id", "updated"))

    out, _ = sync(FakePlatform())

    assert "0 created, 0 updated, 3 unchanged, 0 failed" in out
    assert dict(Endpoint.objects.values_list("endpoint_id", "updated")) == before


def test_a_changed_schema_is_updated_in_place():
    sync(FakePlatform())
    changed = copy.deepcopy(FLUX)
    schema = changed["openapi"]["components"]["schemas"]["FluxDevInput"]
    schema["properties"]["num_images"]["maximum"] = 8
    pk = Endpoint.objects.get(endpoint_id="fal-ai/flux/dev").pk

    out, _ = sync(FakePlatform({None: {"models": [changed], "has_more": False}}))

    assert "  ~ fal-ai/flux/dev (input_schema)" in out
    flux = Endpoint.objects.get(endpoint_id="fal-ai/flux/dev")
    assert flux.pk == pk
    assert flux.input_schema["properties"]["num_images"]["maximum"] == 8


def test_the_bundled_catalog_never_overwrites_what_was_synced():
    sync(FakePlatform())
    report = import_bundled()
    assert "fal-ai/flux/dev" in report.unchanged
    assert Endpoint.objects.get(endpoint_id="fal-ai/flux/dev").title == "FLUX.1 [dev]"


def test_limit_stops_after_that_many_models():
    fake = FakePlatform()

    out, _ = sync(fake, "--limit", "1")

    assert "0 created, 1 updated" in out
    assert len(fake.requests) == 1
    assert fake.requests[0].url.params["limit"] == "1"
    assert not Endpoint.objects.filter(endpoint_id="acme/new-voice").exists()


def test_category_is_passed_to_fal():
    fake = FakePlatform()
    sync(fake, "--category", "text-to-speech")
    assert all(r.url.params["category"] == "text-to-speech" for r in fake.requests)


def test_dry_run_reports_without_saving():
    out, _ = sync(FakePlatform(), "--dry-run")

    assert "Dry run, nothing saved: 1 created, 2 updated" in out
    assert not Endpoint.objects.filter(endpoint_id="acme/new-voice").exists()
    assert Endpoint.objects.get(endpoint_id="fal-ai/flux/dev").source == "bundled"


def test_the_key_is_sent_when_the_server_has_one(settings):
    settings.FAL_KEY = "key-id:secret"
    fake = FakePlatform()
    sync(fake)
    assert fake.requests[0].headers["Authorization"] == "Key key-id:secret"


def test_prices_are_synced_after_the_models(settings):
    from playground.usage.models import Price

    settings.FAL_KEY = "key-id:secret"
    price = {"endpoint_id": "acme/new-voice", "unit_price": 0.05, "unit": "1000 characters"}
    out, _ = sync(FakePlatform(prices=[{**price, "currency": "USD"}]))
    assert "Prices synced from fal: 1 added" in out
    voice = Price.objects.get(endpoint_id="acme/new-voice")
    assert (voice.unit, str(voice.unit_price), voice.source) == ("1k characters", "0.050000", "fal")


def test_no_key_needed_to_list_models(settings):
    settings.FAL_KEY = ""
    fake = FakePlatform()
    sync(fake)
    assert "Authorization" not in fake.requests[0].headers


@pytest.mark.parametrize(
    "error",
    [
        httpx.ConnectError("[Errno -3] Temporary failure in name resolution"),
        httpx.ConnectTimeout("timed out"),
        httpx.ReadTimeout("timed out"),
    ],
)
def test_offline_fails_with_a_clear_message(error):
    count = Endpoint.objects.count()

    def offline(request: httpx.Request) -> httpx.Response:
        raise error

    with pytest.raises(CommandError) as caught:
        call_command(
            "sync_catalog",
            transport=httpx.MockTransport(offline),
            sleep=lambda seconds: None,
            stdout=StringIO(),
            stderr=StringIO(),
        )

    message = str(caught.value)
    assert message.startswith("Cannot reach fal's model API (api.fal.ai): ")
    assert "The bundled catalog is still available; run again when online." in message
    assert Endpoint.objects.count() == count


def test_losing_the_network_midway_keeps_what_was_imported():
    pages = {**PAGES, "Mg==": None}

    def flaky(request: httpx.Request) -> httpx.Response:
        if request.url.params.get("cursor"):
            raise httpx.ConnectError("connection reset")
        return httpx.Response(200, json=pages[None])

    err = StringIO()
    with pytest.raises(CommandError, match="Cannot reach"):
        call_command(
            "sync_catalog",
            transport=httpx.MockTransport(flaky),
            sleep=lambda seconds: None,
            stdout=StringIO(),
            stderr=err,
        )
    assert "Stopped early; imported so far: 1 created, 1 updated" in err.getvalue()
    assert Endpoint.objects.filter(endpoint_id="acme/new-voice").exists()


@pytest.mark.parametrize(
    "page",
    [
        httpx.Response(200, json={"detail": "something else"}),
        httpx.Response(200, json=["not", "a", "page"]),
        httpx.Response(200, text="<html>maintenance</html>"),
    ],
)
def test_a_malformed_page_is_reported_not_crashed_on(page):
    with pytest.raises(CommandError, match="fal's model API answered something unexpected"):
        sync(FakePlatform({None: page}))


def test_malformed_entries_fail_alone_and_the_rest_imports():
    broken_doc = {"openapi": "3.0.4", "paths": {}}
    pages = {
        None: {
            "models": [
                {"no": "endpoint id"},
                listed("acme/no-schema", None, display_name="No schema"),
                listed("acme/broken", broken_doc),
                NEW_VOICE,
            ],
            "has_more": False,
        }
    }

    out, err = sync(FakePlatform(pages))

    assert "1 created, 0 updated, 0 unchanged, 3 failed" in out
    assert "! malformed entry 1: model entry without an endpoint_id" in err
    assert "! acme/no-schema: no OpenAPI document in fal's listing" in err
    assert "! acme/broken:" in err
    assert Endpoint.objects.filter(endpoint_id="acme/new-voice").exists()


@pytest.mark.parametrize(("status", "word"), [(401, "HTTP 401"), (500, "HTTP 500")])
def test_http_errors_are_explained(status, word):
    page = httpx.Response(status, json={"detail": "nope"})
    with pytest.raises(CommandError, match=f"fal's model API refused the request: {word}"):
        sync(FakePlatform({None: page}))


def test_rate_limits_are_retried():
    answers = [
        httpx.Response(429, json={"detail": "slow down"}),
        httpx.Response(200, json=PAGES["Mg=="]),
    ]

    def limited(request: httpx.Request) -> httpx.Response:
        return answers.pop(0)

    out = StringIO()
    call_command(
        "sync_catalog",
        transport=httpx.MockTransport(limited),
        sleep=lambda seconds: None,
        stdout=out,
        stderr=StringIO(),
    )
    assert "0 created, 1 updated" in out.getvalue()


def test_a_bad_limit_is_refused():
    with pytest.raises(CommandError, match="--limit"):
        sync(FakePlatform(), "--limit", "0")


def test_the_client_stops_when_fal_repeats_a_cursor():
    looping = {None: {"models": [], "has_more": True, "next_cursor": "A"}}
    looping["A"] = {"models": [], "has_more": True, "next_cursor": "A"}
    fake = FakePlatform(looping)
    with PlatformClient(key=None, transport=fake.transport) as fal:
        pages = list(fal.iter_model_pages())
    assert len(pages) == 2


def test_the_client_refuses_a_page_that_is_not_json():
    fake = FakePlatform({None: httpx.Response(200, text="oops")})
    with (
        PlatformClient(key=None, transport=fake.transport) as fal,
        pytest.raises(PlatformResponseError, match="not JSON"),
    ):
        fal.list_models()


def test_on_a_terminal_the_progress_bar_redraws_in_place():
    from playground.catalog.management.commands.sync_catalog import ProgressBar

    written: list[str] = []
    bar = ProgressBar(written.append, tty=True, total=4, every=50)
    bar.update(1, "fal-ai/flux/dev")
    bar.update(4, "fal-ai/veo3")
    bar.finish()

    assert written[0].startswith("\r\x1b[2K[#######-----------------------] 1/4 fal-ai/flux/dev")
    assert written[1].startswith("\r\x1b[2K[##############################] 4/4 fal-ai/veo3")
    assert written[-1] == "\n"
