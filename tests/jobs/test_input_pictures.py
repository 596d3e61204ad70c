"""D32: a run's input pictures come before its output, on its page and its gallery card."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from PIL import Image

from playground.catalog.models import Endpoint
from playground.gallery import queries
from playground.jobs.pictures import split
from playground.realtime.actions import save_frame
from tests.gallery.conftest import finished

pytestmark = pytest.mark.django_db
LCM = "fal-ai/lcm-sd15-i2i"
FAL_PICTURE = "https://v3.fal.media/files/zebra/in.png"


def jpeg(colour: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (32, 32), colour).save(buffer, "JPEG")
    return buffer.getvalue()


def frame(user):
    return save_frame(
        user=user,
        endpoint=Endpoint.objects.get(endpoint_id=LCM),
        params={"prompt": "a red barn"},
        image_field="image_url",
        input_picture=(jpeg("red"), "image/jpeg"),
        output={"images": [{"content": jpeg("blue"), "content_type": "image/jpeg"}]},
    )


def test_a_saved_frame_shows_its_input_first_and_only_once(alice):
    generation = frame(alice)
    shown = split(generation, list(generation.assets.order_by("position")))
    assert [p.field for p in shown.inputs] == ["image_url"]
    assert [a.output_path for a in shown.outputs] == ["images.0"]
    assert shown.inputs[0].thumb.endswith(".jpg")


@pytest.mark.parametrize(
    ("fal_mode", "data", "expected"),
    [
        ("fal", {"image_url": FAL_PICTURE}, [FAL_PICTURE]),
        ("local", {"image_url": FAL_PICTURE}, []),  # the CSP loads only our own files
        ("fal", {"image_url": "https://tracker.example/pixel.png"}, []),
        ("fal", {"mask_url": FAL_PICTURE, "prompt": FAL_PICTURE}, []),
        (
            "local",
            {"image_urls": ["http://localhost:8000/localfal/cdn/files/" + "a" * 32 + "/x.png"]},
            ["/localfal/cdn/files/" + "a" * 32 + "/x.png"],
        ),
    ],
)
def test_input_urls_are_shown_only_when_safe_to_load(alice, settings, fal_mode, data, expected):
    settings.FAL_MODE = fal_mode
    generation = finished(alice)
    generation.input = data
    assert [p.url for p in split(generation, []).inputs] == expected


def test_the_generation_page_shows_input_then_output(client_alice, alice):
    generation = frame(alice)
    page = client_alice.get(generation.get_absolute_url()).text
    assert 'aria-label="Input pictures"' in page
    assert page.index("gen-inputs") < page.index('class="gen-media')
    assert page.count('alt="Input picture (image_url)"') == 1
    assert 'alt="Input image"' not in page  # not again among the outputs


def test_a_gallery_card_shows_the_input_small_and_counts_only_outputs(client_alice, alice):
    frame(alice)
    finished(alice, "plain text to image")
    page = client_alice.get(reverse("gallery:index")).text
    assert page.count('class="g-card__input"') == 1
    assert 'class="g-card__count"' not in page


def test_input_pictures_cost_no_queries_on_the_gallery(
    client_alice, alice, django_assert_max_num_queries
):
    for _ in range(queries.PAGE_SIZE):
        frame(alice)
    client_alice.get(reverse("gallery:index"))
    with django_assert_max_num_queries(5):
        page = client_alice.get(reverse("gallery:index")).text
    assert page.count('class="g-card__input"') == queries.PAGE_SIZE
