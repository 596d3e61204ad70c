from __future__ import annotations

import json
from typing import Any

from django import template
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe

from playground.jobs import fragments

register = template.Library()
TEXT_KEYS = ("output", "text", "transcription", "response", "answer")


@register.filter
def pretty_json(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, default=str)


@register.filter
def index_of(values: Any, index: int) -> Any:
    """values[index] for lists in templates; None when out of range or not a list."""
    if isinstance(values, list) and 0 <= index < len(values):
        return values[index]
    return None


@register.simple_tag
def log_lines(lines: list[dict[str, Any]]) -> str:
    return fragments.log_lines_html(lines)


@register.simple_tag
def progress_bar(generation: Any, progress: float | None, oob: bool = False) -> str:
    return fragments.progress_html(
        code=generation.code,
        active=generation.is_active,
        progress=progress,
        oob=oob,
        status=generation.status,
    )


@register.simple_tag
def output_text(output: Any) -> str:
    """The main text of a text-like output (LLM answers, transcripts), if any."""
    if not isinstance(output, dict):
        return ""
    for key in TEXT_KEYS:
        if isinstance(output.get(key), str):
            return output[key]
    return ""


@register.filter
def download_name(asset: Any, generation: Any = None) -> str:
    """The name the asset view sends this output under (gallery.exports.download_name),
    so a download control can say which file it gives. Pass the generation when the
    template has it; otherwise the asset's own is read."""
    from playground.gallery.exports import download_name as name_of

    return name_of(generation or asset.generation, asset)


@register.filter
def breakable(name: Any) -> str:
    """A parameter name that may wrap after its underscores (`num_inference_<wbr>steps`)
    and nowhere else, so a narrow column never splits it mid-word."""
    parts = [conditional_escape(part) for part in str(name).split("_")]
    return mark_safe("_<wbr>".join(parts))


@register.simple_tag
def run_seed(generation: Any) -> Any:
    """The seed that made `generation` (its result's, else the one sent), or None."""
    from playground.jobs.seeds import seed_of

    return seed_of(generation)


@register.simple_tag
def wall_seconds(generation: Any) -> float | None:
    """From the click on Run to the end, queue wait included (None while it goes on)."""
    if not generation.finished:
        return None
    return max(0.0, (generation.finished - generation.created).total_seconds())


@register.simple_tag
def inputs_and_outputs(generation: Any, assets: Any) -> Any:
    """Input pictures (shown first) and output assets of a generation: jobs/pictures.py."""
    from playground.jobs.pictures import split

    return split(generation, list(assets or []))
