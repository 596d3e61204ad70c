"""What the emulator's `/stream` sends between the progress events and the final output:
partial outputs shaped like those of fal's streaming apps.

A language model's answer grows word by word (`{"output": <text so far>, "partial": true}`,
the text accumulated, as fal's LLM endpoints send it); an image model sends blurred small
previews (data URIs) that sharpen before the last event carries the stored images.
"""

from __future__ import annotations

import asyncio
import base64
import io
import re
from collections.abc import AsyncIterator
from typing import Any

from PIL import Image, ImageFilter

from playground.localfal import files

TEXT_KEYS = ("output", "text", "response", "answer")
TOKEN = re.compile(r"\s*\S+")
TOKEN_SECONDS = 0.03  # at LOCALFAL_SPEED 1: about 30 words a second
PREVIEW_BLURS = (10, 4)  # coarse, then finer
PREVIEW_SIDE = 160
PREVIEW_SECONDS = 0.2


async def partials(output: Any, *, speed: float) -> AsyncIterator[dict[str, Any]]:
    """The partial events that lead up to `output` (none for outputs of other shapes)."""
    if not isinstance(output, dict):
        return
    key = next((k for k in TEXT_KEYS if isinstance(output.get(k), str) and output[k]), None)
    if key:
        so_far = ""
        for token in TOKEN.findall(output[key]):
            so_far += token
            yield {key: so_far, "partial": True}
            await asyncio.sleep(TOKEN_SECONDS * speed)
        return
    urls = _image_urls(output)
    for blur in PREVIEW_BLURS if urls else ():
        previews = await asyncio.to_thread(_previews, urls, blur)
        if not previews:
            return
        yield {"images": previews, "partial": True}
        await asyncio.sleep(PREVIEW_SECONDS * speed)


def _image_urls(output: dict[str, Any]) -> list[str]:
    found = output.get("images") or ([output["image"]] if output.get("image") else [])
    return [i["url"] for i in found if isinstance(i, dict) and isinstance(i.get("url"), str)]


def _previews(urls: list[str], blur: int) -> list[dict[str, Any]]:
    previews = []
    for url in urls:
        try:
            picture = Image.open(io.BytesIO(files.fetch_input(url))).convert("RGB")
        except (files.InputFileError, OSError):
            return []  # not a picture we can read: no previews, the output still follows
        picture.thumbnail((PREVIEW_SIDE, PREVIEW_SIDE))
        buffer = io.BytesIO()
        picture.filter(ImageFilter.GaussianBlur(blur)).save(buffer, "JPEG", quality=50)
        encoded = base64.b64encode(buffer.getvalue()).decode("ascii")
        previews.append(
            {
                "url": f"data:image/jpeg;base64,{encoded}",
                "width": picture.width,
                "height": picture.height,
                "content_type": "image/jpeg",
            }
        )
    return previews
