"""Making the files an output points at: pictures, clips, sound, meshes, weights.

`FileMaker.make(kind, index)` makes each file once; `url()` stores it through the context
(or inlines it as a data URI when the request asked for `sync_mode`).
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
from PIL import Image

from playground.localfal import media
from playground.localfal.outputs import artifacts
from playground.localfal.outputs.context import OutputContext
from playground.localfal.outputs.inputs import RequestView

MEDIA_KINDS = frozenset({"image", "video", "audio", "mesh"})
DEFAULT_SPEECH = "This is the local fal emulator speaking."

# Words in a field name that say what kind of file it holds, checked in this order.
_NAME_KINDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("video", ("video", "mp4", "movie", "clip", "animation")),
    ("audio", ("audio", "speech", "voice", "music", "sound", "song", "wav", "mp3")),
    ("mesh", ("mesh", "glb", "gltf", "3d", "ply")),
    ("weights", ("lora", "safetensors", "weights", "checkpoint", "ckpt")),
    ("config", ("config", "json")),
    ("archive", ("zip", "archive")),
    ("image", ("image", "img", "mask", "depth", "frame", "thumbnail", "photo", "picture")),
    ("text", ("text", "srt", "subtitle", "transcript", "caption")),
)
_CATEGORY_KINDS = (
    ("video", "video"),
    ("audio", "audio"),
    ("speech", "audio"),
    ("music", "audio"),
    ("3d", "mesh"),
    ("training", "weights"),
    ("image", "image"),
)
# Endpoints that process the input sound rather than make new sound.
_AUDIO_TO_AUDIO = ("speech-to-speech", "voice-chang", "isolation", "denois", "separat", "enhance")
_SPEECH_WORDS = ("tts", "speech", "voice", "text-to-audio-speech")


def kind_for_name(name: str) -> str | None:
    name = name.lower()
    return next((kind for kind, words in _NAME_KINDS if any(w in name for w in words)), None)


def kind_for_category(category: str, endpoint_id: str) -> str:
    # "image-to-video" makes video: the output side is what follows "-to-".
    output_side = category.lower().split("-to-")[-1]
    for word, kind in _CATEGORY_KINDS:
        if word in output_side:
            return kind
    return kind_for_name(endpoint_id.rsplit("/", 1)[-1]) or "text"


@dataclass
class Made:
    data: bytes
    content_type: str
    extension: str
    width: int | None = None
    height: int | None = None
    seconds: float | None = None
    url: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)  # e.g. fps, num_frames, sample_rate

    @property
    def file_name(self) -> str:
        # Named by content: the same seed gives the same name as well as the same bytes.
        return f"{hashlib.sha256(self.data).hexdigest()[:20]}.{self.extension}"

    def data_uri(self) -> str:
        return f"data:{self.content_type};base64,{base64.b64encode(self.data).decode()}"


class FileMaker:
    def __init__(self, ctx: OutputContext, request: RequestView) -> None:
        self.ctx = ctx
        self.request = request
        self._made: dict[tuple[str, int], Made] = {}

    def make(self, kind: str, index: int = 0) -> Made:
        key = (kind, index)
        if key not in self._made:
            maker = getattr(self, f"_make_{kind}", self._make_text)
            self._made[key] = maker(index)
            self.ctx.made.append(self._made[key])  # what the request is billed for
        return self._made[key]

    def url(self, made: Made) -> str:
        if made.url is None:
            if self.request.sync_mode():
                made.url = made.data_uri()
            else:
                made.url = self.ctx.store_file(made.data, made.content_type, made.file_name)
        return made.url

    def made(self, kind: str) -> list[Made]:
        return [m for (k, _), m in sorted(self._made.items()) if k == kind]

    def default_kind(self) -> str:
        return kind_for_category(self.ctx.category, self.ctx.endpoint_id)

    # -- pictures --------------------------------------------------------------------------
    @cached_property
    def sources(self) -> list[Image.Image]:
        """The request's input pictures, fetched and decoded once."""
        return [media.load_image(self.ctx.fetch_file(url)) for url in self.request.image_urls()]

    def _make_image(self, index: int) -> Made:
        sources = self.sources  # fetched before any progress is logged: a bad URL fails first
        # Step progress is paced by the engine; here only what is being made.
        if index < 8:
            self.ctx.log(f"rendering image {index + 1}/{self.request.num_images()}")
        seed = self.ctx.seed + index
        img = self._edited(index, seed) if sources else self._generated(seed)
        fmt = self.request.image_format(default="png" if img.mode == "RGBA" else "jpeg")
        data, content_type = media.encode_image(img, fmt)
        extension = "jpg" if fmt in ("jpeg", "jpg") else fmt
        return Made(data, content_type, extension, img.width, img.height)

    def _generated(self, seed: int) -> Image.Image:
        width, height = self.request.generation_size()
        return media.procedural_image(self.request.prompt, seed, width, height)

    def _edited(self, index: int, seed: int) -> Image.Image:
        source = self.sources[index % len(self.sources)]
        size = self.request.edit_size(source.size)
        return media.transform_image(
            source,
            endpoint_id=self.ctx.endpoint_id,
            prompt=self.request.prompt,
            seed=seed,
            width=size[0] if size else None,
            height=size[1] if size else None,
        )

    # -- video -----------------------------------------------------------------------------
    def _make_video(self, index: int) -> Made:
        source, source_seconds = self._video_source()
        audio = self._soundtrack()
        seconds = self.request.video_seconds() or _audio_seconds(audio) or source_seconds
        seconds = media.clamp_seconds(seconds)
        width, height = media.video_size(*self.request.video_size(source.size if source else None))
        fps, frames = media.frame_plan(seconds, self.request.fps())
        self.ctx.log(f"rendering {frames} frames at {width}x{height}, {fps} fps")
        data = media.make_video(
            self.request.prompt, self.ctx.seed + index, width, height, seconds, fps, source, audio
        )
        self.ctx.log(f"encoded {len(data)} bytes of H.264")
        extra = {"fps": fps, "num_frames": frames}
        return Made(data, "video/mp4", "mp4", width, height, round(frames / fps, 3), extra=extra)

    def _video_source(self) -> tuple[Image.Image | None, float | None]:
        if self.sources:
            return self.sources[0], None
        url = self.request.video_url()
        if url:
            return media.video_still(self.ctx.fetch_file(url))
        return None, None

    def _soundtrack(self) -> tuple[np.ndarray, int] | None:
        url = self.request.audio_url()
        if url:
            return media.decode_audio(self.ctx.fetch_file(url))
        if self.request.wants_audio_track():
            seconds = self.request.video_seconds() or media.clamp_seconds(None)
            return media.tone_audio(self.request.prompt, self.ctx.seed, seconds, 44100), 44100
        return None

    # -- sound -----------------------------------------------------------------------------
    def _make_audio(self, index: int) -> Made:
        samples, rate = self._sound(index)
        extra = {"sample_rate": rate, "channels": 1}
        if self.request.audio_format() == "wav":
            data, content_type, extension = media.encode_wav(samples, rate), "audio/wav", "wav"
        else:
            data, content_type, extension = media.encode_mp3(samples, rate), "audio/mpeg", "mp3"
        return Made(data, content_type, extension, seconds=_seconds(samples, rate), extra=extra)

    def _sound(self, index: int) -> tuple[np.ndarray, int]:
        name = self.ctx.endpoint_id.lower()
        incoming = self.request.audio_url() or self.request.video_url()
        if incoming and any(word in name for word in _AUDIO_TO_AUDIO):
            return self._processed(incoming)
        if self._is_speech(name):
            text = self.request.speech_text() or DEFAULT_SPEECH
            self.ctx.log(f"speaking {len(text.split())} words")
            return media.speech_audio(text, self.request.audio_seconds())
        if incoming and "audio" in self.ctx.category.lower().split("-to-")[0]:
            return self._processed(incoming)
        seconds = self.request.audio_seconds()
        self.ctx.log(f"composing {seconds:g} s of music")
        return media.tone_audio(self.request.prompt, self.ctx.seed + index, seconds), 44100

    def _is_speech(self, name: str) -> bool:
        category = self.ctx.category.lower()
        return (
            "speech" in category
            or "tts" in category
            or any(re.search(rf"(?<![a-z]){word}", name) for word in _SPEECH_WORDS)
        )

    def _processed(self, url: str) -> tuple[np.ndarray, int]:
        samples, rate = media.decode_audio(self.ctx.fetch_file(url))
        self.ctx.log(f"processing {len(samples) / rate:.1f} s of input audio")
        return media.soften_audio(samples), rate

    # -- other files -----------------------------------------------------------------------
    def _make_mesh(self, index: int) -> Made:
        return Made(artifacts.make_glb(self.ctx.seed + index), "model/gltf-binary", "glb")

    def _make_weights(self, index: int) -> Made:
        self.ctx.log("writing LoRA weights")
        metadata = {
            "generated_by": artifacts.GENERATOR,
            "seed": self.ctx.seed,
            **self._training_set(),
        }
        for key in ("trigger_word", "trigger_phrase", "steps", "learning_rate"):
            if self.request.data.get(key) is not None:
                metadata[key] = self.request.data[key]
        data = artifacts.make_safetensors(self.ctx.seed + index, metadata)
        return Made(data, "application/octet-stream", "safetensors")

    def _training_set(self) -> dict[str, int]:
        url = self.request.data_url()
        if not url:
            return {}
        data = self.ctx.fetch_file(url)
        count = artifacts.count_zip_entries(data)
        return {"training_bytes": len(data), **({"training_files": count} if count else {})}

    def _make_config(self, index: int) -> Made:
        payload = {
            "generated_by": artifacts.GENERATOR,
            "endpoint_id": self.ctx.endpoint_id,
            "seed": self.ctx.seed,
            "input": self.request.data,
        }
        return Made(artifacts.make_json(payload), "application/json", "json")

    def _make_archive(self, index: int) -> Made:
        entries = {"README.txt": self._notice().encode(), "config.json": self._make_config(0).data}
        return Made(artifacts.make_zip(entries), "application/zip", "zip")

    def _make_text(self, index: int) -> Made:
        return Made(self._notice().encode(), "text/plain; charset=utf-8", "txt")

    def _notice(self) -> str:
        return (
            f"Made by the local fal emulator for {self.ctx.endpoint_id} (seed {self.ctx.seed}).\n"
            "No model ran: this file stands in for the real output.\n"
        )


def _seconds(samples: np.ndarray, rate: int) -> float:
    return round(len(samples) / rate, 3)


def _audio_seconds(audio: tuple[np.ndarray, int] | None) -> float | None:
    return _seconds(*audio) if audio is not None and len(audio[0]) else None
