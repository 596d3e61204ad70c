"""Downloads say what they are: model, prompt words and seed in the name, and PNGs carry
AUTOMATIC1111's `parameters` text that other tools read."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from playground.gallery.exports import a1111_parameters, download_name
from playground.jobs.models import Generation, MediaAsset
from tests.gallery.conftest import finished

pytestmark = pytest.mark.django_db


def named(prompt, *, endpoint="fal-ai/flux/dev", seed=1234, position=0, file="00-images-0.png"):
    generation = Generation(endpoint_id=endpoint, input={"prompt": prompt, "seed": seed})
    asset = MediaAsset(position=position)
    asset.file.name = f"generations/x/{file}"
    return download_name(generation, asset)


def test_a_name_carries_model_prompt_words_and_seed():
    assert named("A lighthouse at dusk") == "flux-dev_a-lighthouse-at-dusk_seed1234.png"


def test_a_name_is_safe_and_bounded():
    name = named("Ünïcödé / ../../etc/passwd; rm -rf *  " + "word " * 200, seed=7)
    assert name.startswith("flux-dev_unicode-etc-passwd-rm-rf_seed7")
    assert len(name) <= 120 and all(c.isalnum() or c in "-_." for c in name)


def test_later_files_are_numbered_and_odd_cases_still_get_a_name():
    assert named("two", position=1) == "flux-dev_two_seed1234_2.png"
    assert named("", seed=None, file="00-audio.mp3") == "flux-dev.mp3"
    assert named("x", endpoint="", file="00-x.weird-extension!") == "output_x_seed1234"


def test_a1111_parameters_name_every_known_setting():
    generation = Generation(
        endpoint_id="fal-ai/fast-sdxl",
        input={
            "prompt": "a fox, in snow",
            "negative_prompt": "blurry",
            "num_inference_steps": 28,
            "guidance_scale": 7.5,
            "scheduler": "DPM++ 2M",
            "seed": 42,
        },
    )
    assert a1111_parameters(generation, (1024, 768)) == (
        "a fox, in snow\nNegative prompt: blurry\nSteps: 28, Sampler: DPM++ 2M, "
        "CFG scale: 7.5, Seed: 42, Size: 1024x768, Model: fal-ai/fast-sdxl"
    )


def test_the_download_of_a_second_image_is_numbered(client_alice, alice):
    generation = finished(alice, "Two foxes")
    first = generation.assets.get()
    second = MediaAsset.objects.get(pk=first.pk)
    second.pk, second.position = None, 1
    second.file.save("01-images-1.png", first.file, save=False)
    second.save()
    response = client_alice.get(second.file.url + "?download=1")
    assert response["Content-Disposition"] == (
        'attachment; filename="flux-schnell_two-foxes_seed7_2.png"'
    )
    image = Image.open(io.BytesIO(response.content))
    assert image.text["parameters"].startswith("Two foxes\nSeed: 7, Size: 8x6")
