"""Template filters of the generation pages."""

from __future__ import annotations

from types import SimpleNamespace

from playground.jobs.templatetags.jobs_tags import breakable, download_name


def test_a_parameter_name_may_wrap_only_after_its_underscores():
    assert breakable("num_inference_steps") == "num_<wbr>inference_<wbr>steps"
    assert breakable("prompt") == "prompt"


def test_a_hostile_parameter_name_stays_text():
    assert breakable("<b>x</b>_y") == "&lt;b&gt;x&lt;/b&gt;_<wbr>y"


def test_a_download_is_named_after_its_stored_file():
    asset = SimpleNamespace(file=SimpleNamespace(name="generations/abc/00-images-0.png"))
    assert download_name(asset) == "00-images-0.png"
    assert download_name(SimpleNamespace(file=None)) == ""
