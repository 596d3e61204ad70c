"""Limits and helpers shared by the emulator's media makers."""

from __future__ import annotations

import colorsys
import hashlib
import math

import numpy as np

MAX_IMAGE_SIDE = 8192
MAX_IMAGE_PIXELS = 4096 * 4096
MAX_UPSCALE_SIDE = 4096
MAX_SOURCE_SIDE = 4096
MIN_SECONDS = 0.1
MAX_SECONDS = 30.0
MAX_VIDEO_SIDE = 1280
MAX_VIDEO_FRAMES = 240
MAX_SPEECH_CHARS = 2000
SPEECH_TIMEOUT = 20
ANIMATION_SIDE = 640
FIELD_SIDE = 160  # the procedural field is computed this small, then upscaled: cheap at any size

Size = tuple[int, int]
Rgb = tuple[int, int, int]


class MediaError(ValueError):
    """An input file could not be decoded, or a format is not one we can write."""


class InputTooLarge(MediaError):
    """An input picture (or video frame) has more pixels than IMAGE_MAX_PIXELS."""


# -- shared helpers -----------------------------------------------------------------------
def seeded_rng(*parts: object) -> np.random.Generator:
    """A generator that depends only on `parts` (never on Python's per-process hash seed)."""
    digest = hashlib.sha256("\x1f".join(str(part) for part in parts).encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:16], "big"))


def clamp_seconds(seconds: float | None, default: float = 5.0) -> float:
    value = default if seconds is None or not math.isfinite(seconds) else float(seconds)
    return min(max(value, MIN_SECONDS), MAX_SECONDS)


def fit_image_size(width: int, height: int) -> Size:
    """The requested size, scaled down only when it exceeds the emulator's caps."""
    width, height = max(1, int(width)), max(1, int(height))
    scale = min(1.0, MAX_IMAGE_SIDE / max(width, height))
    scale = min(scale, math.sqrt(MAX_IMAGE_PIXELS / (width * height)))
    return max(1, int(width * scale)), max(1, int(height * scale))


def hsv(hue: float, sat: float, val: float) -> np.ndarray:
    return np.array(colorsys.hsv_to_rgb(hue % 1.0, sat, val)) * 255.0


def rgb(colour: np.ndarray) -> Rgb:
    r, g, b = (int(c + 0.5) for c in np.clip(colour, 0, 255))
    return r, g, b
