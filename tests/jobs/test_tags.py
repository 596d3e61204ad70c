"""Template filters of the generation pages."""

from __future__ import annotations

import pytest

from playground.jobs.templatetags.jobs_tags import breakable, download_name
from tests.gallery.conftest import finished


def test_a_parameter_name_may_wrap_only_after_its_underscores():
    assert breakable("num_inference_steps") == "num_<wbr>inference_<wbr>steps"
    assert breakable("prompt") == "prompt"


def test_a_hostile_parameter_name_stays_text():
    assert breakable("<b>x</b>_y") == "&lt;b&gt;x&lt;/b&gt;_<wbr>y"


@pytest.mark.django_db
def test_a_download_link_names_the_file_the_asset_view_sends(alice):
    generation = finished(alice, "a lighthouse at dusk")
    asset = generation.assets.get()
    assert download_name(asset, generation) == "flux-schnell_a-lighthouse-at-dusk_seed7.png"
    assert download_name(asset) == download_name(asset, generation)
