"""The pixel limit: set for Pillow in every process, checked from the header alone."""

from __future__ import annotations

import subprocess
import sys

import pytest
from django.conf import settings
from PIL import Image, ImageFile

from playground.lib import images
from playground.lib.liveserver import ROOT, process_env
from tests.support import bomb_png


def test_pillow_refuses_bombs_at_our_limit_in_this_process():
    assert Image.MAX_IMAGE_PIXELS == settings.IMAGE_MAX_PIXELS == 40_000_000


def test_every_manage_py_process_gets_the_limit_too(tmp_path):
    env = process_env(tmp_path, IMAGE_MAX_PIXELS="1234")
    code = "from PIL import Image; print(Image.MAX_IMAGE_PIXELS)"
    done = subprocess.run(
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.strip() == "1234"


def test_the_header_is_enough_to_refuse_a_bomb(monkeypatch):
    def load(self):
        raise AssertionError("the picture was decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", load)
    with pytest.raises(images.ImageTooLarge) as refused:
        images.open_image(bomb_png())
    assert str(refused.value) == "The image has 144.0 megapixels; the limit is 40 megapixels."


def test_between_the_limit_and_twice_it_the_size_is_named(settings):
    settings.IMAGE_MAX_PIXELS = 50 * 50
    with pytest.raises(images.ImageTooLarge, match=r"60x60 pixels \(0.0 megapixels\)"):
        images.open_image(bomb_png(60))
    assert images.open_image(bomb_png(50)).size == (50, 50)


def test_magic_bytes_name_common_pictures_without_decoding():
    assert images.sniff_image_type(bomb_png(10)) == "image/png"
    assert images.sniff_image_type(b"RIFF\0\0\0\0WEBPVP8 ") == "image/webp"
    assert images.sniff_image_type(b"<svg/>") == ""
