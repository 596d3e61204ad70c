"""Honest text for text-shaped outputs: it says no model ran and echoes what was asked."""

from __future__ import annotations

from functools import cached_property

import numpy as np
from PIL import Image

from playground.localfal import media
from playground.localfal.outputs.context import OutputContext
from playground.localfal.outputs.makers import FileMaker

BADGE = "[local fal emulator]"
_TRANSCRIBERS = ("whisper", "wizper", "transcri", "speech-to-text", "stt", "asr")


class TextMaker:
    def __init__(self, ctx: OutputContext, files: FileMaker) -> None:
        self.ctx = ctx
        self.files = files
        self.request = files.request

    @cached_property
    def main(self) -> str:
        """The one text an endpoint answers with, by what the endpoint does."""
        name, category = self.ctx.endpoint_id.lower(), self.ctx.category.lower()
        if any(word in name or word in category for word in _TRANSCRIBERS) or (
            category == "text" and self.request.audio_url()
        ):
            return self.transcript
        if "vision" in category or ("llm" in category and self.request.image_urls()):
            return f"{self._no_model('vision-language model')} {self._pictures()} {self._asked()}"
        if category in ("llm", "text", "language") or "llm" in name or "router" in name:
            return f"{self._no_model('language model')} {self._asked()}"
        return f"{BADGE} Made locally without a model. {self._asked()}"

    @cached_property
    def audio_seconds(self) -> float:
        """Length of the input audio (0 when there is none); decoding checks it is audio."""
        url = self.request.audio_url() or self.request.video_url()
        if not url:
            return 0.0
        samples, rate = media.decode_audio(self.ctx.fetch_file(url))
        return round(len(samples) / rate, 2)

    @cached_property
    def transcript(self) -> str:
        return (
            f"{BADGE} No speech recognition ran, so this is not a transcript. "
            f"The input audio lasts {self.audio_seconds:g} seconds."
        )

    def _no_model(self, what: str) -> str:
        model = self.request.text("model")
        asked_for = f" (requested model: {model})" if model else ""
        return f"{BADGE} No {what} ran{asked_for}, so this is not a real answer."

    def _asked(self) -> str:
        prompt = self.request.prompt
        return f"The prompt was: “{prompt}”" if prompt else "There was no prompt."

    def _pictures(self) -> str:
        sources = self.files.sources
        described = "; ".join(
            f"{img.width}x{img.height}, mostly {_average_colour(img)}" for img in sources
        )
        return f"It received {len(sources)} image(s): {described}." if sources else ""

    def tokens(self, which: str) -> int:
        """Whitespace word counts standing in for token counts."""
        system = self.request.text("system_prompt")
        prompt_tokens = len(self.request.prompt.split()) + len(system.split())
        completion = len(self.main.split())
        return {"prompt": prompt_tokens, "completion": completion}.get(
            which, prompt_tokens + completion
        )


def _average_colour(img: Image.Image) -> str:
    pixels = np.asarray(img.convert("RGB").resize((16, 16)))
    r, g, b = (int(c) for c in pixels.reshape(-1, 3).mean(axis=0))
    return f"#{r:02x}{g:02x}{b:02x}"
