"""The gallery's Media filter: what a run made is written when its outputs are stored
(tests/jobs/test_runner.py), worked out from its files or text, and filled in for runs
stored before (migration jobs 0003)."""

from __future__ import annotations

import importlib
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.urls import reverse

from playground.jobs.assets import output_kind
from tests.gallery.conftest import finished

pytestmark = pytest.mark.django_db


def asset(kind="file", content_type="application/octet-stream", path="images.0", url=""):
    return SimpleNamespace(
        kind=kind,
        content_type=content_type,
        output_path=path,
        source_url=url,
        file=SimpleNamespace(name=f"generations/x/00-{path}.bin"),
    )


@pytest.mark.parametrize(
    ("assets", "output", "kind"),
    [
        ([asset("image", "image/png")], {"images": []}, "image"),
        ([asset("video", "video/mp4", "video")], {}, "video"),
        ([asset("audio", "audio/mpeg", "audio")], {}, "audio"),
        ([asset(url="https://v3.fal.media/files/x.glb", path="model_mesh")], {}, "3d"),
        ([asset(content_type="model/gltf-binary", path="result")], {}, "3d"),
        ([asset(path="archive")], {}, "other"),
        ([], {"output": "Hello"}, "text"),
        ([], {"something": 1}, "other"),
        ([], None, ""),
        # an input picture stored with a realtime frame is not what the run made
        ([asset("image", "image/png", "input.image_url")], {"output": "x"}, "text"),
    ],
)
def test_what_a_run_made(assets, output, kind):
    assert output_kind(assets, output) == kind


def test_the_media_filter_finds_images(client_alice, alice):
    picture = finished(alice, "a lighthouse")
    page = client_alice.get(reverse("gallery:index") + "?kind=image")
    assert str(picture.code) in page.text and "Nothing matches" not in page.text
    page = client_alice.get(reverse("gallery:index") + "?kind=audio")
    assert str(picture.code) not in page.text and "Nothing matches" in page.text


def test_the_migration_fills_runs_stored_before(alice):
    old = finished(alice, "before the fix")
    text = finished(alice, "an answer", image=False, output={"output": "Hi"})
    type(old).objects.filter(pk__in=[old.pk, text.pk]).update(media_kind="")
    migration = importlib.import_module(
        "playground.jobs.migrations.0003_fill_generation_media_kind"
    )
    migration.fill(apps, None)
    old.refresh_from_db()
    text.refresh_from_db()
    assert (old.media_kind, text.media_kind) == ("image", "text")
