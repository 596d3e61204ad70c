"""Reading what a request asks for, across fal's many spellings of the same idea."""

from __future__ import annotations

import math
import re
from typing import Any

from playground.localfal import media

Size = tuple[int, int]

IMAGE_SIZE_PRESETS: dict[str, Size] = {
    "square_hd": (1024, 1024),
    "square": (512, 512),
    "portrait_4_3": (768, 1024),
    "portrait_16_9": (576, 1024),
    "landscape_4_3": (1024, 768),
    "landscape_16_9": (1024, 576),
}
DEFAULT_IMAGE_SIZE: Size = (1024, 1024)
IMAGE_LONG_SIDE = {"1k": 1024, "2k": 2048, "4k": 4096}
VIDEO_SHORT_SIDE = {
    "360p": 360, "480p": 480, "540p": 540, "580p": 580, "720p": 720,
    "768p": 768, "1080p": 1080, "1440p": 1440, "2160p": 2160, "4k": 2160,
}  # fmt: skip
DEFAULT_VIDEO_SHORT_SIDE = 720
DEFAULT_SECONDS = 5.0
MAX_IMAGES = 8
MAX_SOURCES = 4

_PROMPT_KEYS = ("prompt", "text", "style_prompt", "lyrics", "tags", "caption", "input", "query")
_SPEECH_KEYS = ("text", "prompt", "input", "script", "gen_text")
_IMAGE_URL_KEYS = (
    "image_url", "image_urls", "input_image_urls", "input_image_url", "start_image_url",
    "first_frame_url", "first_frame_image_url", "init_image_url", "reference_image_url",
    "reference_image_urls", "face_image_url", "subject_image_url",
)  # fmt: skip
_NOT_SOURCES = ("mask", "end_", "last_frame", "tail", "control", "style")
_AUDIO_URL_KEYS = ("audio_url", "source_audio_url", "first_audio_url", "input_audio_url")
_VIDEO_URL_KEYS = ("video_url", "input_video_url", "source_video_url")
_AUDIO_FORMATS = {"mp3": "mp3", "wav": "wav", "wave": "wav", "pcm": "wav"}
_ASPECT = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*[:x/]\s*(\d+(?:\.\d+)?)\s*$")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")


class RequestView:
    """Typed accessors over a request's input dict; absent or junk values read as None."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data

    def first(self, *keys: str) -> Any:
        return next((self.data[k] for k in keys if self.data.get(k) not in (None, "", [])), None)

    def text(self, *keys: str) -> str:
        value = next((self.data[k] for k in keys if isinstance(self.data.get(k), str)), "")
        return value.strip()

    @property
    def prompt(self) -> str:
        return next((t for k in _PROMPT_KEYS if (t := self.text(k))), "")

    def speech_text(self) -> str:
        return next((t for k in _SPEECH_KEYS if (t := self.text(k))), "")

    def sync_mode(self) -> bool:
        # Only the boolean counts: some endpoints use `sync_mode` for an unrelated enum.
        return self.data.get("sync_mode") is True

    def num_images(self) -> int:
        value = self.first("num_images", "num_outputs", "batch_size", "n")
        return min(max(_as_int(value) or 1, 1), MAX_IMAGES)

    # -- sizes ------------------------------------------------------------------------------
    def explicit_size(self) -> Size | None:
        """A size the request spells out: an `image_size` preset or object, or width+height."""
        size = self.data.get("image_size")
        if isinstance(size, str) and size in IMAGE_SIZE_PRESETS:
            return IMAGE_SIZE_PRESETS[size]
        if isinstance(size, dict):
            pair = _as_int(size.get("width")), _as_int(size.get("height"))
            if all(pair):
                return pair  # type: ignore[return-value]
        width, height = _as_int(self.data.get("width")), _as_int(self.data.get("height"))
        return (width, height) if width and height else None

    def aspect_ratio(self) -> float | None:
        match = _ASPECT.match(str(self.data.get("aspect_ratio") or ""))
        if not match or not float(match.group(2)):
            return None  # "auto", "match_input", absent...
        return float(match.group(1)) / float(match.group(2))

    def generation_size(self) -> Size:
        """Text-to-image size: explicit size, else aspect ratio at the resolution's long side."""
        explicit = self.explicit_size()
        if explicit:
            return explicit
        ratio = self.aspect_ratio()
        if ratio is None:
            return DEFAULT_IMAGE_SIZE
        long_side = IMAGE_LONG_SIDE.get(str(self.data.get("resolution") or "").lower(), 1024)
        return _with_long_side(ratio, long_side)

    def edit_size(self, source: Size) -> Size | None:
        """Output size for an edit; None keeps the source size (upscalers: their factor)."""
        if self.first("upscale_factor", "upscale_mode"):
            return self.upscale_size(source)
        explicit = self.explicit_size()
        if explicit:
            return explicit
        ratio = self.aspect_ratio()
        if ratio is None:
            return None
        area = source[0] * source[1]  # a new aspect ratio keeps roughly the same pixel count
        return _round8(math.sqrt(area * ratio)), _round8(math.sqrt(area / ratio))

    def upscale_size(self, source: Size) -> Size:
        target = VIDEO_SHORT_SIDE.get(str(self.data.get("target_resolution") or "").lower())
        if self.data.get("upscale_mode") == "target" and target:
            factor = target / min(source)
        else:
            factor = _as_float(self.first("upscale_factor", "scale")) or 2.0
        factor = min(max(factor, 1.0), 10.0)
        return max(1, round(source[0] * factor)), max(1, round(source[1] * factor))

    def video_size(self, source: Size | None) -> Size:
        explicit = self.explicit_size()
        if explicit:
            return explicit
        resolution = str(self.data.get("resolution") or "").lower()
        short = VIDEO_SHORT_SIDE.get(resolution, DEFAULT_VIDEO_SHORT_SIDE)
        ratio = self.aspect_ratio() or (source[0] / source[1] if source else 16 / 9)
        if ratio >= 1:
            return round(short * ratio), short
        return short, round(short / ratio)

    # -- formats and durations -------------------------------------------------------------
    def image_format(self, default: str = "jpeg") -> str:
        for key in ("output_format", "format", "image_format"):
            value = str(self.data.get(key) or "").lower()
            if value in media.IMAGE_FORMATS:
                return value
        return default

    def audio_format(self, default: str = "mp3") -> str:
        setting = self.data.get("audio_setting")
        nested = setting.get("format") if isinstance(setting, dict) else None
        for value in (
            *(self.data.get(k) for k in ("output_format", "format", "audio_format")),
            nested,
        ):
            if str(value or "").lower() in _AUDIO_FORMATS:
                return _AUDIO_FORMATS[str(value).lower()]
        return default

    def number(self, *keys: str) -> float | None:
        """The first non-zero number (or number inside a string like "8s") among `keys`."""
        for key in keys:
            value = _as_float(self.data.get(key))
            if value:
                return value
        return None

    def audio_seconds(self) -> float:
        keys = ("duration", "seconds_total", "duration_seconds", "audio_duration", "music_duration")
        found = self.number(*keys, "total_seconds", "audio_length_in_s", "length", "seconds")
        return media.clamp_seconds(found or DEFAULT_SECONDS)

    def fps(self) -> int:
        return min(max(_as_int(self.first("fps", "frames_per_second", "frame_rate")) or 24, 1), 60)

    def video_seconds(self) -> float | None:
        """The requested clip length, or None when the request doesn't say."""
        found = self.number("duration", "video_duration", "duration_seconds", "seconds", "length")
        frames = _as_int(self.data.get("num_frames"))
        if not found and frames:
            found = frames / self.fps()
        return media.clamp_seconds(found) if found else None

    def wants_audio_track(self) -> bool:
        return any(
            self.data.get(k) is True for k in ("generate_audio", "with_audio", "enable_audio")
        )

    # -- input files -----------------------------------------------------------------------
    def image_urls(self) -> list[str]:
        """Source pictures for edits and image-to-video, first-named first."""
        keys = [*_IMAGE_URL_KEYS, *(k for k in self.data if _looks_like_image_key(k))]
        urls: list[str] = []
        for key in dict.fromkeys(keys):
            urls.extend(_urls(self.data.get(key)))
        return list(dict.fromkeys(urls))[:MAX_SOURCES]

    def audio_url(self) -> str | None:
        keys = (*_AUDIO_URL_KEYS, *(k for k in self.data if k.endswith("audio_url")))
        return next((u for k in keys for u in _urls(self.data.get(k))), None)

    def video_url(self) -> str | None:
        keys = (*_VIDEO_URL_KEYS, *(k for k in self.data if k.endswith("video_url")))
        return next((u for k in keys for u in _urls(self.data.get(k))), None)

    def data_url(self) -> str | None:
        """A training set: `images_data_url`, `training_data_url`..."""
        return next(
            (u for k in self.data if k.endswith("data_url") for u in _urls(self.data[k])), None
        )


def _looks_like_image_key(key: str) -> bool:
    return key.endswith(("image_url", "image_urls")) and not any(w in key for w in _NOT_SOURCES)


def _urls(value: Any) -> list[str]:
    values = value if isinstance(value, list) else [value]
    return [v for v in values if isinstance(v, str) and v.strip()]


def _as_int(value: Any) -> int | None:
    number = _as_float(value)
    return int(number) if number is not None else None


def _as_float(value: Any) -> float | None:
    """Numbers, and numbers inside strings such as "5", "8s" or "95s"."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, str):
        match = _NUMBER.search(value)
        return float(match.group()) if match else None
    return None


def _round8(value: float) -> int:
    return max(8, round(value / 8) * 8)


def _with_long_side(ratio: float, long_side: int) -> Size:
    if ratio >= 1:
        return long_side, _round8(long_side / ratio)
    return _round8(long_side * ratio), long_side
