"""Gallery fixtures: on alice's team "Studio" (tests/conftest.py, with bob, a member),
vera (viewer) and adam (admin); charlie stays an outsider (STYLE.md)."""

from __future__ import annotations

import io

import pytest
from django.core.files.base import ContentFile

from playground.accounts.models import Membership, Role
from playground.jobs.models import Generation, MediaAsset, Status
from tests.jobs.conftest import submit


def _member(django_user_model, team, username: str, role: str):
    user = django_user_model.objects.create_user(username, password=f"pw-{username}-12345")
    Membership.objects.create(user=user, team=team, role=role)
    return user


@pytest.fixture
def vera(django_user_model, team):
    """A viewer of alice's team: may look, never change."""
    return _member(django_user_model, team, "vera", Role.VIEWER)


@pytest.fixture
def adam(django_user_model, team):
    return _member(django_user_model, team, "adam", Role.ADMIN)


def png_bytes(size=(8, 6), color=(200, 40, 90)) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, format="PNG")
    return out.getvalue()


def finished(user, prompt: str = "a fox", *, team=None, image: bool = True, **fields):
    """A completed generation of flux/schnell with one stored PNG (its thumbnail too)."""
    generation = submit(user, data={"prompt": prompt, "seed": 7})
    generation.status = Status.COMPLETED
    generation.output = {"images": [{"url": "https://v3.fal.media/files/x.png"}], "seed": 7}
    generation.media_kind = "image" if image else ""
    generation.team = team
    for name, value in fields.items():
        setattr(generation, name, value)
    generation.save()
    if image:
        asset = MediaAsset(
            generation=generation,
            kind="image",
            source_url="https://v3.fal.media/files/x.png",
            content_type="image/png",
            width=8,
            height=6,
            bytes=100,
            sha256="0" * 64,
        )
        asset.file.save("00-images-0.png", ContentFile(png_bytes()), save=False)
        asset.thumbnail.save("00-images-0.thumb.jpg", ContentFile(b"jpg"), save=False)
        asset.save()
    return Generation.objects.get(pk=generation.pk)
