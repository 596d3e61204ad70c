"""Copy-as-code follows the run mode chosen next to Run, and warns about input URLs that
fal.ai could not fetch."""

from __future__ import annotations

import pytest
from django.urls import reverse

from playground.catalog.templatetags.snippets import code_samples, local_only_urls

FLUX = "fal-ai/flux/dev"
CARTOONIFY = "fal-ai/image-editing/cartoonify"


def test_queue_mode_submits_to_the_queue():
    code = code_samples(FLUX, {"prompt": "a fox"}, mode="queue")
    assert "https://queue.fal.run/fal-ai/flux/dev" in code["curl"]
    assert "fal_client.subscribe(" in code["python"] and "fal.subscribe(" in code["javascript"]


def test_run_mode_calls_fal_run():
    code = code_samples(FLUX, {"prompt": "a fox"}, mode="run")
    assert "--url https://fal.run/fal-ai/flux/dev \\" in code["curl"]
    assert "fal_client.run(" in code["python"] and "subscribe" not in code["python"]
    assert "await fal.run(" in code["javascript"]


def test_stream_mode_reads_events():
    code = code_samples(FLUX, {"prompt": "a fox"}, mode="stream")
    assert "https://fal.run/fal-ai/flux/dev/stream" in code["curl"]
    assert "Accept: text/event-stream" in code["curl"] and "--no-buffer" in code["curl"]
    assert "stream = fal_client.stream(" in code["python"]
    assert "for event in stream:" in code["python"]
    assert "for await (const event of stream)" in code["javascript"]


def test_an_unknown_mode_falls_back_to_the_queue():
    assert code_samples(FLUX, {}, mode="junk") == code_samples(FLUX, {})


@pytest.mark.parametrize(
    "url",
    [
        "/media/uploads/a.png",
        "http://localhost:8000/media/a.png",
        "http://127.0.0.1/a.png",
        "https://10.1.2.3/a.png",
        "http://[::1]:8000/a.png",
        "http://nas.local/a.png",
        "http://playground.example/media/x.png",  # this server
    ],
)
def test_local_only_urls_are_found(url):
    found = local_only_urls({"image_url": url}, {"playground.example"})
    assert found == [("image_url", url)]


@pytest.mark.parametrize(
    "value",
    [
        "https://v3.fal.media/files/a.png",
        "https://8.8.8.8/a.png",
        "data:image/png;base64,AA",
        "a /b c",
    ],
)
def test_public_urls_and_plain_text_are_fine(value):
    assert local_only_urls({"image_url": value, "prompt": value}) == []


def test_nested_urls_are_named_by_their_path():
    value = {"loras": [{"path": "http://192.168.1.5/lora.safetensors"}]}
    assert local_only_urls(value) == [("loras.0.path", "http://192.168.1.5/lora.safetensors")]


def test_every_snippet_warns_about_a_local_only_url():
    code = code_samples(CARTOONIFY, {"image_url": "http://localhost:8000/media/a.png"})
    assert code["curl"].startswith("# Warning: image_url points at this server")
    assert code["python"].startswith("# Warning:") and "fal_client.upload_file" in code["python"]
    assert (
        code["javascript"].startswith("// Warning:") and "fal.storage.upload" in code["javascript"]
    )
    assert (
        "Warning"
        not in code_samples(CARTOONIFY, {"image_url": "https://v3.fal.media/a.png"})["curl"]
    )


@pytest.mark.django_db
def test_the_payload_answers_code_for_the_posted_mode_and_this_server(client_alice):
    url = reverse("catalog:payload", args=[CARTOONIFY])
    image = "http://testserver/media/uploads/a.png"
    response = client_alice.post(url, {"image_url": image, "__mode": "run"})
    code = response.json()["code"]
    assert "fal_client.run(" in code["python"]
    assert code["python"].startswith("# Warning: image_url points at this server")


@pytest.mark.django_db
def test_the_page_starts_with_code_for_the_mode_checked_first(client_alice):
    page = client_alice.get(reverse("catalog:model", args=[FLUX])).text
    assert "fal_client.subscribe(" in page  # queue is checked first
