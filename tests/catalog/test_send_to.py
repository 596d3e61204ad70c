""" "Send to…": which models take an output, and the model page prefilled with it."""

from __future__ import annotations

import pytest
from django.urls import reverse

from playground.catalog.sendto import targets

pytestmark = pytest.mark.django_db
MENU = reverse("catalog:send_to")
FILE = "/media/generations/0b6c7f7e-6c53-4bde-9d0e-1f2a3b4c5d6e/00-images-0.png"


def fields(media: str) -> dict[str, str]:
    return {target.endpoint_id: target.field for target in targets(media)}


def test_image_models_are_offered_their_image_field_never_a_mask():
    image = fields("image")
    assert image["fal-ai/lcm-sd15-i2i"] == "image_url"
    assert "fal-ai/flux/schnell" not in image  # text to image takes no file
    assert not any("mask" in field for field in image.values())


def test_video_and_audio_go_to_their_own_fields():
    assert fields("video")["fal-ai/sync-lipsync/v2"] == "video_url"
    assert fields("audio")["fal-ai/sync-lipsync/v2"] == "audio_url"
    assert fields("audio")["fal-ai/wizper"] == "audio_url"
    assert targets("text") == []


def test_the_menu_lists_links_that_open_the_model_with_the_file(client_alice):
    page = client_alice.get(MENU, {"media": "image", "url": FILE})
    assert page.status_code == 200
    link = reverse("catalog:model", args=["fal-ai/lcm-sd15-i2i"])
    assert f'href="{link}?send=image_url&amp;url=%2Fmedia%2Fgenerations' in page.text


@pytest.mark.parametrize(
    "query",
    [
        {"media": "text", "url": FILE},
        {"media": "image", "url": ""},
        {"media": "image", "url": "//evil.example/x.png"},
        {"media": "image", "url": "javascript:alert(1)"},
        {"media": "image", "url": "/x" * 1200},
    ],
)
def test_bad_menu_requests_are_refused_clearly(client_alice, query):
    page = client_alice.get(MENU, query)
    assert page.status_code == 400 and b"image, video or audio" in page.content


def test_the_menu_needs_a_login(client):
    assert client.get(MENU, {"media": "image", "url": FILE}).status_code == 302


def test_the_model_page_opens_with_the_sent_file_and_the_other_defaults(client_alice):
    model = reverse("catalog:model", args=["fal-ai/lcm-sd15-i2i"])
    page = client_alice.get(model, {"send": "image_url", "url": FILE})
    assert page.status_code == 200
    assert f'value="{FILE}"' in page.text
    assert "Filled with the file you sent here" in page.text
    assert f'<img src="{FILE}"' in page.text  # our own file: previewed


def test_a_file_for_a_field_the_model_lacks_is_ignored_with_a_message(client_alice):
    model = reverse("catalog:model", args=["fal-ai/lcm-sd15-i2i"])
    page = client_alice.get(model, {"send": "prompt", "url": FILE})
    assert page.status_code == 200 and FILE not in page.text
    assert "cannot go into this model" in page.text
