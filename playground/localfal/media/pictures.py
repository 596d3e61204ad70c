"""Procedural pictures (deterministic for prompt + seed) and image files."""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageOps

from playground.lib.images import ImageTooLarge, open_image
from playground.localfal.media.common import (
    FIELD_SIDE,
    InputTooLarge,
    MediaError,
    Size,
    fit_image_size,
    hsv,
    rgb,
    seeded_rng,
)


# -- procedural pictures ------------------------------------------------------------------
@dataclass(frozen=True)
class Scene:
    """Everything random about a picture, drawn once from the prompt+seed generator."""

    stops: np.ndarray  # (k, 3) palette from sky top to horizon
    waves: np.ndarray  # (n, 4): direction x, direction y, frequency, phase
    sun: tuple[float, float, float]  # centre x, centre y, radius (fractions of the frame)
    sun_colour: np.ndarray
    hills: list[tuple[np.ndarray, float, np.ndarray]]  # (wave coefficients, base, colour)
    stars: np.ndarray  # (m, 3): x, y, size; empty on bright skies


def make_scene(prompt: str, seed: int) -> Scene:
    rng = seeded_rng("scene", prompt, seed)
    hue, spread = rng.random(), float(rng.choice([0.06, 0.12, 0.33, 0.5]))
    night = bool(rng.random() < 0.35)
    stops = _sky_stops(rng, hue, spread, night)
    waves = np.column_stack(
        [rng.normal(size=(5, 2)), rng.uniform(2.0, 7.0, 5), rng.uniform(0, 2 * np.pi, 5)]
    )
    sun_x, sun_y, sun_radius = rng.uniform((0.15, 0.15, 0.05), (0.85, 0.45, 0.14))
    sun = (float(sun_x), float(sun_y), float(sun_radius))
    sun_colour = hsv(hue + 0.5 * spread + 0.08, 0.35, 1.0)
    hills = _hills(rng, hue + float(rng.choice([0.3, 0.45, 0.6])), night)
    stars = rng.random((int(rng.integers(40, 90)), 3)) if night else np.zeros((0, 3))
    return Scene(stops, waves, sun, sun_colour, hills, stars)


def _sky_stops(rng: np.random.Generator, hue: float, spread: float, night: bool) -> np.ndarray:
    """Four colours from the top of the sky to the horizon, darker at night."""
    top, low = (0.25, 0.55) if night else (0.55, 0.98)
    return np.array(
        [
            hsv(hue + spread * i / 3, 0.45 + 0.4 * rng.random(), top + (low - top) * i / 3)
            for i in range(4)
        ]
    )


def _hills(
    rng: np.random.Generator, hue: float, night: bool
) -> list[tuple[np.ndarray, float, np.ndarray]]:
    """Two or three ridges, each nearer one lower on the frame and darker."""
    brightness = 0.3 if night else 0.55
    return [
        (rng.normal(size=(4, 3)), 0.55 + 0.12 * i, hsv(hue, 0.5, brightness - 0.13 * i))
        for i in range(int(rng.integers(2, 4)))
    ]


def procedural_image(prompt: str, seed: int, width: int, height: int) -> Image.Image:
    """A landscape-like picture whose palette and layout come from a hash of prompt+seed."""
    return render_scene(make_scene(prompt, seed), *fit_image_size(width, height), t=0.0)


def render_scene(scene: Scene, width: int, height: int, t: float) -> Image.Image:
    """The scene at time `t` (0..1); video frames move the sky and the sun with `t`."""
    img = _sky(scene, width, height, t)
    draw = ImageDraw.Draw(img)
    _draw_stars(draw, scene, width, height)
    _draw_sun(draw, scene, width, height, t)
    for coefficients, base, colour in scene.hills:
        _draw_hill(draw, coefficients, base, colour, width, height)
    return img


def _sky(scene: Scene, width: int, height: int, t: float) -> Image.Image:
    fw, fh = _field_size(width, height)
    ys, xs = np.mgrid[0:fh, 0:fw].astype(np.float32)
    xs, ys = xs / max(fw, fh), ys / max(fw - 1, fh - 1, 1)
    plasma = np.zeros((fh, fw), np.float32)
    for dx, dy, freq, phase in scene.waves:
        plasma += np.sin((xs * dx + ys * dy) * freq + phase + 2 * np.pi * t)
    vertical = ys / max(ys.max(), 1e-6)
    field = np.clip(0.75 * vertical + 0.08 * plasma / len(scene.waves) * 3 + 0.05, 0, 1)
    positions = np.linspace(0, 1, len(scene.stops))
    rgb = np.stack([np.interp(field, positions, scene.stops[:, c]) for c in range(3)], axis=-1)
    small = Image.fromarray(rgb.astype(np.uint8), "RGB")
    return small.resize((width, height), Image.Resampling.BICUBIC)


def _field_size(width: int, height: int) -> Size:
    scale = min(1.0, FIELD_SIDE / max(width, height))
    return max(2, round(width * scale)), max(2, round(height * scale))


def _draw_stars(draw: ImageDraw.ImageDraw, scene: Scene, width: int, height: int) -> None:
    unit = max(1.0, min(width, height) / 400)
    for x, y, size in scene.stars:
        r = unit * (0.5 + size)
        cx, cy = x * width, y * height * 0.6
        draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=(250, 248, 235))


def _draw_sun(draw: ImageDraw.ImageDraw, scene: Scene, width: int, height: int, t: float) -> None:
    sx, sy, radius = scene.sun
    cx, cy = (sx + 0.1 * t) * width, (sy + 0.08 * t) * height
    r = radius * min(width, height)
    sky = scene.stops[1]
    for ring in range(4, -1, -1):  # a few soft rings fake a glow without alpha compositing
        mix = ring / 5
        rr = r * (1 + 0.35 * ring)
        draw.ellipse(
            (cx - rr, cy - rr, cx + rr, cy + rr),
            fill=rgb(scene.sun_colour * (1 - mix) + sky * mix),
        )


def _draw_hill(
    draw: ImageDraw.ImageDraw,
    coefficients: np.ndarray,
    base: float,
    colour: np.ndarray,
    width: int,
    height: int,
) -> None:
    xs = np.linspace(0, 1, 65)
    ridge = np.full_like(xs, base)
    for amplitude, freq, phase in coefficients:
        ridge += 0.04 * amplitude * np.sin(xs * (2 + 3 * abs(freq)) * np.pi + phase)
    points = [(float(x * width), float(y * height)) for x, y in zip(xs, ridge, strict=True)]
    draw.polygon([*points, (width, height), (0, height)], fill=rgb(colour))


# -- image files --------------------------------------------------------------------------
_IMAGE_FORMATS = {
    "jpeg": ("JPEG", "image/jpeg", {"quality": 90}),
    "jpg": ("JPEG", "image/jpeg", {"quality": 90}),
    "png": ("PNG", "image/png", {"compress_level": 3}),
    "webp": ("WEBP", "image/webp", {"quality": 88, "method": 4}),
}
IMAGE_FORMATS = frozenset(_IMAGE_FORMATS)


def encode_image(img: Image.Image, fmt: str) -> tuple[bytes, str]:
    """(bytes, content_type); raises MediaError for formats other than jpeg/jpg/png/webp."""
    key = fmt.lower().lstrip(".")
    if key not in _IMAGE_FORMATS:
        raise MediaError(f"unsupported image format: {fmt!r}")
    pil_format, content_type, options = _IMAGE_FORMATS[key]
    if pil_format == "JPEG" and img.mode != "RGB":
        img = img.convert("RGB")  # JPEG has no alpha; a cut-out asked as JPEG loses it
    elif img.mode not in ("RGB", "RGBA"):
        img = img.convert("RGBA" if "A" in img.mode else "RGB")
    buffer = io.BytesIO()
    img.save(buffer, pil_format, **options)
    return buffer.getvalue(), content_type


def load_image(data: bytes) -> Image.Image:
    """The decoded picture (RGB, or RGBA when it has transparency); raises MediaError
    (InputTooLarge past IMAGE_MAX_PIXELS, before anything is decoded)."""
    if not data:
        raise MediaError("the input image is empty")
    try:
        img = open_image(data)  # the header only: refused over the pixel limit
        img.load()
        img = ImageOps.exif_transpose(img)
    except ImageTooLarge as exc:
        raise InputTooLarge(str(exc)) from None
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
        raise MediaError(f"could not decode the input image: {exc}") from exc
    alpha = img.mode in ("RGBA", "LA", "PA") or "transparency" in img.info
    return img.convert("RGBA" if alpha else "RGB")
