"""Small, honest local "models" for the fal emulator.

Procedural pictures, real Pillow edits, melodies, espeak-ng speech and H.264 clips. Every
function is deterministic for a given prompt and seed, and caps its own work so a request
can't keep the emulator busy for minutes (sizes and durations are clamped, never refused).
"""

from __future__ import annotations

import colorsys
import hashlib
import io
import math
import os
import re
import shutil
import subprocess
import tempfile
import wave
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import av
import lameenc
import numpy as np
from PIL import Image, ImageChops, ImageDraw, ImageEnhance, ImageFilter, ImageOps

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


def _hsv(hue: float, sat: float, val: float) -> np.ndarray:
    return np.array(colorsys.hsv_to_rgb(hue % 1.0, sat, val)) * 255.0


def _rgb(colour: np.ndarray) -> Rgb:
    r, g, b = (int(c + 0.5) for c in np.clip(colour, 0, 255))
    return r, g, b


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
    sun_colour = _hsv(hue + 0.5 * spread + 0.08, 0.35, 1.0)
    hills = _hills(rng, hue + float(rng.choice([0.3, 0.45, 0.6])), night)
    stars = rng.random((int(rng.integers(40, 90)), 3)) if night else np.zeros((0, 3))
    return Scene(stops, waves, sun, sun_colour, hills, stars)


def _sky_stops(rng: np.random.Generator, hue: float, spread: float, night: bool) -> np.ndarray:
    """Four colours from the top of the sky to the horizon, darker at night."""
    top, low = (0.25, 0.55) if night else (0.55, 0.98)
    return np.array(
        [
            _hsv(hue + spread * i / 3, 0.45 + 0.4 * rng.random(), top + (low - top) * i / 3)
            for i in range(4)
        ]
    )


def _hills(
    rng: np.random.Generator, hue: float, night: bool
) -> list[tuple[np.ndarray, float, np.ndarray]]:
    """Two or three ridges, each nearer one lower on the frame and darker."""
    brightness = 0.3 if night else 0.55
    return [
        (rng.normal(size=(4, 3)), 0.55 + 0.12 * i, _hsv(hue, 0.5, brightness - 0.13 * i))
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
            fill=_rgb(scene.sun_colour * (1 - mix) + sky * mix),
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
    draw.polygon([*points, (width, height), (0, height)], fill=_rgb(colour))


# -- editing transforms -------------------------------------------------------------------
Transform = Callable[[Image.Image, np.random.Generator, str, int], Image.Image]


def transform_image(
    source: Image.Image,
    *,
    endpoint_id: str,
    prompt: str,
    seed: int,
    width: int | None = None,
    height: int | None = None,
) -> Image.Image:
    """A real Pillow edit chosen by keywords in the endpoint id.

    `width`/`height` is the requested output size: upscalers scale to it, reframing pads to
    it, every other edit is cropped to cover it. Without it the source size is kept (x2 for
    upscalers).
    """
    img = _prepare_source(source)
    rng = seeded_rng("edit", endpoint_id, prompt, seed)
    size = fit_image_size(width, height) if width and height else None
    name = endpoint_id.lower()
    if _matches(name, _UPSCALE_WORDS):
        return _upscale(img, size)
    if _matches(name, _REFRAME_WORDS):
        return _reframe(img, size or img.size)
    edit = next((fn for words, fn in _EDITS if _matches(name, words)), _colour_grade)
    edited = edit(img, rng, prompt, seed)
    if size and edited.size != size:
        edited = ImageOps.fit(edited, size, Image.Resampling.BICUBIC)
    return edited


def _matches(name: str, words: tuple[str, ...]) -> bool:
    # Words must start at a word boundary: "age" must not match "image".
    return any(re.search(rf"(?<![a-z0-9]){re.escape(word)}", name) for word in words)


def _prepare_source(source: Image.Image) -> Image.Image:
    img = source.convert("RGBA" if source.mode in ("RGBA", "LA", "PA") else "RGB")
    if max(img.size) > MAX_SOURCE_SIDE:
        img.thumbnail((MAX_SOURCE_SIDE, MAX_SOURCE_SIDE), Image.Resampling.BICUBIC)
    return img


def _rgb_only(img: Image.Image) -> Image.Image:
    return img.convert("RGB") if img.mode != "RGB" else img


def _cartoonify(img: Image.Image, rng: np.random.Generator, prompt: str, seed: int) -> Image.Image:
    smooth = _rgb_only(img).filter(ImageFilter.SMOOTH_MORE).filter(ImageFilter.SMOOTH_MORE)
    flat = ImageEnhance.Color(ImageOps.posterize(smooth, 3)).enhance(1.4)
    # FIND_EDGES sees the frame border as an edge; blank it so no outline is drawn around it.
    edges = ImageOps.expand(ImageOps.crop(smooth.convert("L").filter(ImageFilter.FIND_EDGES), 1), 1)
    lines = edges.point(lambda v: 0 if v > 28 else 255).filter(ImageFilter.MinFilter(3))
    return ImageChops.multiply(flat, lines.convert("RGB"))


def _autocontrast(
    img: Image.Image, rng: np.random.Generator, prompt: str, seed: int
) -> Image.Image:
    balanced = ImageOps.autocontrast(_rgb_only(img), cutoff=1, preserve_tone=False)
    return ImageEnhance.Color(balanced).enhance(1.1)


def _upscale(img: Image.Image, size: Size | None) -> Image.Image:
    target = size or (img.width * 2, img.height * 2)
    scale = min(1.0, MAX_UPSCALE_SIDE / max(target))
    target = (max(1, int(target[0] * scale)), max(1, int(target[1] * scale)))
    bigger = img.resize(target, Image.Resampling.BICUBIC)
    return bigger.filter(ImageFilter.UnsharpMask(radius=2, percent=90, threshold=2))


def _style_tint(img: Image.Image, rng: np.random.Generator, prompt: str, seed: int) -> Image.Image:
    hue = seeded_rng("tint", prompt).random()
    dark, light = _rgb(_hsv(hue, 0.7, 0.25)), _rgb(_hsv(hue + 0.12, 0.35, 1.0))
    tinted = ImageOps.colorize(img.convert("L"), black=dark, white=light)
    return Image.blend(_rgb_only(img), tinted, 0.65).filter(ImageFilter.EDGE_ENHANCE)


def _blur_region(img: Image.Image, rng: np.random.Generator, prompt: str, seed: int) -> Image.Image:
    w, h = img.size
    bw, bh = w * rng.uniform(0.25, 0.4), h * rng.uniform(0.25, 0.4)
    cx, cy = w * rng.uniform(0.35, 0.65), h * rng.uniform(0.35, 0.65)
    box = (cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2)
    mask = Image.new("L", img.size, 0)
    ImageDraw.Draw(mask).ellipse(box, fill=255)
    mask = mask.filter(ImageFilter.GaussianBlur(max(w, h) / 60))
    blurred = img.filter(ImageFilter.GaussianBlur(max(w, h) / 30))
    return Image.composite(blurred, img, mask)


def _enhance_detail(
    img: Image.Image, rng: np.random.Generator, prompt: str, seed: int
) -> Image.Image:
    sharp = ImageEnhance.Sharpness(_rgb_only(img).filter(ImageFilter.DETAIL)).enhance(2.0)
    return ImageEnhance.Brightness(ImageEnhance.Contrast(sharp).enhance(1.1)).enhance(1.04)


def _sepia(img: Image.Image, rng: np.random.Generator, prompt: str, seed: int) -> Image.Image:
    grey = ImageOps.autocontrast(img.convert("L"), cutoff=1)
    toned = ImageOps.colorize(grey, black=(40, 26, 14), white=(246, 228, 196), mid=(158, 120, 84))
    faded = ImageEnhance.Color(_rgb_only(img)).enhance(0.2)
    return Image.blend(faded, toned, 0.75).filter(ImageFilter.SMOOTH)


def _subject_mask(size: Size) -> Image.Image:
    """A soft centred ellipse standing in for a segmentation model's subject mask."""
    w, h = size
    mask = Image.new("L", size, 0)
    ImageDraw.Draw(mask).ellipse((w * 0.17, h * 0.08, w * 0.83, h * 1.05), fill=255)
    return mask.filter(ImageFilter.GaussianBlur(max(w, h) / 40))


def _replace_background(
    img: Image.Image, rng: np.random.Generator, prompt: str, seed: int
) -> Image.Image:
    background = procedural_image(prompt, seed, img.width, img.height)
    return Image.composite(_rgb_only(img), background, _subject_mask(img.size))


def _cut_out(img: Image.Image, rng: np.random.Generator, prompt: str, seed: int) -> Image.Image:
    cut = img.convert("RGBA")
    cut.putalpha(ImageChops.multiply(cut.getchannel("A"), _subject_mask(img.size)))
    return cut


def _reframe(img: Image.Image, size: Size) -> Image.Image:
    """Outpainting stand-in: the whole source, centred, over a blurred stretch of itself."""
    backdrop = ImageOps.fit(_rgb_only(img), size, Image.Resampling.BILINEAR)
    backdrop = ImageEnhance.Brightness(
        backdrop.filter(ImageFilter.GaussianBlur(max(size) / 25))
    ).enhance(0.8)
    inner = ImageOps.contain(img, size, Image.Resampling.BICUBIC)
    offset = ((size[0] - inner.width) // 2, (size[1] - inner.height) // 2)
    backdrop.paste(_rgb_only(inner), offset)
    return backdrop


def _colour_grade(
    img: Image.Image, rng: np.random.Generator, prompt: str, seed: int
) -> Image.Image:
    """A prompt-seeded look: per-channel lift/gamma/gain curves plus a saturation change."""
    ramp = np.arange(256) / 255.0
    lut: list[int] = []
    for _ in range(3):
        # Gamma stays clearly away from 1 so the grade is always visible.
        gamma = 1 + rng.choice([-1, 1]) * rng.uniform(0.15, 0.35)
        gain, lift = rng.uniform(0.88, 1.1), rng.uniform(0, 0.08)
        curve = lift + (1 - lift) * np.power(ramp, gamma) * gain
        lut.extend(np.clip(curve * 255, 0, 255).astype(int).tolist())
    graded = _rgb_only(img).point(lut)
    graded = ImageEnhance.Color(graded).enhance(rng.uniform(0.75, 1.35))
    if img.mode == "RGBA":
        graded.putalpha(img.getchannel("A"))
    return graded


_UPSCALE_WORDS = ("upscale", "clarity", "seedvr", "esrgan", "super-resolution", "aura-sr")
_REFRAME_WORDS = ("reframe", "outpaint", "expand")
_EDITS: tuple[tuple[tuple[str, ...], Transform], ...] = (
    (
        ("background-removal", "remove-background", "rembg", "birefnet", "bria/background/remove"),
        _cut_out,
    ),
    (("background",), _replace_background),
    (("cartoon",), _cartoonify),
    (("color-correction", "colour-correction", "color_correction"), _autocontrast),
    (("style-transfer", "style_transfer"), _style_tint),
    (("object-removal", "text-removal", "eraser", "remove", "inpaint"), _blur_region),
    (("face-enhance", "face-restor", "face_enhance", "retouch"), _enhance_detail),
    (("age-progression", "age_progression", "aging", "ageing"), _sepia),
)


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
    """The decoded picture (RGB, or RGBA when it has transparency); raises MediaError."""
    if not data:
        raise MediaError("the input image is empty")
    try:
        img = Image.open(io.BytesIO(data))
        img.load()
        img = ImageOps.exif_transpose(img)
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
        raise MediaError(f"could not decode the input image: {exc}") from exc
    alpha = img.mode in ("RGBA", "LA", "PA") or "transparency" in img.info
    return img.convert("RGBA" if alpha else "RGB")


# -- audio --------------------------------------------------------------------------------
_PENTATONIC = np.array([0, 2, 4, 7, 9, 12, 14, 16, 19, 21])


def tone_audio(prompt: str, seed: int, seconds: float, sample_rate: int = 44100) -> np.ndarray:
    """A short mono melody (int16) on a pentatonic scale chosen from the prompt hash."""
    sample_rate = min(max(int(sample_rate), 8000), 96000)
    total = max(1, int(clamp_seconds(seconds) * sample_rate))
    rng = seeded_rng("tone", prompt, seed)
    root = 196.0 * 2 ** (int(rng.integers(0, 12)) / 12)
    note = max(1, int(sample_rate * float(rng.choice([0.18, 0.25, 0.3, 0.4]))))
    steps = np.clip(np.cumsum(rng.integers(-2, 3, total // note + 1)) + 4, 0, len(_PENTATONIC) - 1)
    freqs = np.repeat(root * 2 ** (_PENTATONIC[steps] / 12), note)[:total]
    phase = np.cumsum(2 * np.pi * freqs / sample_rate)  # continuous phase: no clicks between notes
    voice = np.sin(phase) + 0.3 * np.sin(2 * phase) + 0.12 * np.sin(3 * phase)
    local = (np.arange(total) % note) / note
    envelope = np.minimum(1.0, local / 0.04) * np.exp(-3.0 * local)
    drone = 0.25 * np.sin(2 * np.pi * root / 2 * np.arange(total) / sample_rate)
    signal = (voice * envelope + drone) * _fades(total, sample_rate)
    peak = float(np.abs(signal).max()) or 1.0
    return (signal / peak * 0.5 * 32767).astype(np.int16)


def _fades(total: int, sample_rate: int) -> np.ndarray:
    ramp = min(total // 2, sample_rate // 100)
    envelope = np.ones(total)
    if ramp:
        envelope[:ramp] = np.linspace(0, 1, ramp)
        envelope[-ramp:] = np.linspace(1, 0, ramp)
    return envelope


def speech_audio(text: str, seconds_hint: float | None = None) -> tuple[np.ndarray, int]:
    """(int16 samples, rate): espeak-ng speaking `text`, or a melody when it isn't installed.

    Speech longer than MAX_SECONDS is cut; `seconds_hint` sets the fallback melody's length.
    """
    text = " ".join((text or "").split())[:MAX_SPEECH_CHARS] or "Hello from the local fal emulator."
    espeak = shutil.which("espeak-ng")
    if espeak:
        try:
            samples, rate = _espeak(espeak, text)
            return samples[: int(MAX_SECONDS * rate)], rate
        except (OSError, subprocess.SubprocessError, MediaError):
            pass  # a broken espeak install must not fail the request: fall back to tones
    seconds = seconds_hint if seconds_hint else 0.4 * len(text.split())
    return tone_audio(text, 0, clamp_seconds(seconds), 22050), 22050


def _espeak(executable: str, text: str) -> tuple[np.ndarray, int]:
    # Text goes through stdin so a text starting with "-" is never read as an option.
    result = subprocess.run(
        [executable, "--stdout", "-b", "1"],
        input=text.encode(),
        capture_output=True,
        timeout=SPEECH_TIMEOUT,
        check=True,
    )
    samples, rate = read_wav(result.stdout)
    if not samples.size:
        raise MediaError("espeak-ng produced no audio")
    return samples, rate


def read_wav(data: bytes) -> tuple[np.ndarray, int]:
    """Mono int16 samples of a 16-bit PCM WAV; tolerates streamed WAVs with bogus sizes."""
    try:
        with wave.open(io.BytesIO(data), "rb") as reader:
            if reader.getsampwidth() != 2:
                raise MediaError("only 16-bit WAV is supported")
            channels, rate = reader.getnchannels(), reader.getframerate()
            raw = reader.readframes(reader.getnframes())
    except (wave.Error, EOFError) as exc:
        raise MediaError(f"could not read WAV audio: {exc}") from exc
    usable = len(raw) - len(raw) % (2 * channels)
    samples = np.frombuffer(raw[:usable], dtype="<i2").reshape(-1, channels)
    return samples.mean(axis=1).astype(np.int16), rate


def decode_audio(data: bytes, max_seconds: float = MAX_SECONDS) -> tuple[np.ndarray, int]:
    """Mono int16 samples of any audio (or a video's audio track) PyAV can decode."""
    try:
        with av.open(io.BytesIO(data)) as container:
            stream = next((s for s in container.streams if s.type == "audio"), None)
            if stream is None:
                raise MediaError("the input has no audio track")
            rate = min(max(int(stream.rate or 44100), 8000), 48000)
            resampler = av.AudioResampler(format="s16", layout="mono", rate=rate)
            chunks = list(_resampled(container.decode(stream), resampler, int(max_seconds * rate)))
    except av.FFmpegError as exc:
        raise MediaError(f"could not decode the input audio: {exc}") from exc
    samples = np.concatenate(chunks) if chunks else np.zeros(0, np.int16)
    return samples[: int(max_seconds * rate)], rate


def _resampled(
    frames: Iterator[av.AudioFrame], resampler: av.AudioResampler, limit: int
) -> Iterator[np.ndarray]:
    count = 0
    for frame in _with_flush(frames):
        for out in resampler.resample(frame):
            chunk = out.to_ndarray().reshape(-1).astype(np.int16)
            count += chunk.size
            yield chunk
        if count >= limit:
            return


def _with_flush(frames: Iterator[av.AudioFrame]) -> Iterator[av.AudioFrame | None]:
    yield from frames
    yield None  # flushes the resampler's buffered tail


def soften_audio(samples: np.ndarray) -> np.ndarray:
    """The input lightly smoothed and normalised: what "isolation" or voice changes give here."""
    signal = np.asarray(samples, np.float64).reshape(-1)
    if not signal.size:
        return np.zeros(int(MIN_SECONDS * 8000), np.int16)  # silence rather than an empty file
    smoothed = np.convolve(signal, np.ones(3) / 3, mode="same")
    peak = float(np.abs(smoothed).max()) or 1.0
    return (smoothed / peak * 0.7 * 32767).astype(np.int16)


def encode_wav(samples: np.ndarray, rate: int) -> bytes:
    """16-bit PCM WAV; `samples` is (n,) mono or (n, channels)."""
    pcm = np.asarray(samples, dtype=np.int16)
    channels = 1 if pcm.ndim == 1 else pcm.shape[1]
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as writer:
        writer.setnchannels(channels)
        writer.setsampwidth(2)
        writer.setframerate(int(rate))
        writer.writeframes(pcm.astype("<i2").tobytes())
    return buffer.getvalue()


def encode_mp3(samples: np.ndarray, rate: int) -> bytes:
    """128 kbit/s MP3 via LAME; `samples` is (n,) mono or (n, channels) int16."""
    pcm = np.asarray(samples, dtype=np.int16)
    encoder = lameenc.Encoder()
    encoder.set_bit_rate(128)
    encoder.set_in_sample_rate(int(rate))
    encoder.set_channels(1 if pcm.ndim == 1 else pcm.shape[1])
    encoder.set_quality(5)
    return bytes(encoder.encode(pcm.astype("<i2").tobytes()) + encoder.flush())


# -- video --------------------------------------------------------------------------------
def video_size(width: int, height: int) -> Size:
    """Even dimensions (H.264 needs them), longest side at most MAX_VIDEO_SIDE."""
    width, height = max(2, int(width)), max(2, int(height))
    scale = min(1.0, MAX_VIDEO_SIDE / max(width, height))
    return max(2, int(width * scale) // 2 * 2), max(2, int(height * scale) // 2 * 2)


def frame_plan(seconds: float, fps: int = 24) -> tuple[int, int]:
    """(fps, frame count): long clips lower the frame rate rather than get shorter."""
    seconds = clamp_seconds(seconds)
    fps = min(max(int(fps), 1), 60)
    if seconds * fps > MAX_VIDEO_FRAMES:
        fps = max(1, int(MAX_VIDEO_FRAMES / seconds))
    return fps, min(MAX_VIDEO_FRAMES, max(1, round(seconds * fps)))


def make_video(
    prompt: str,
    seed: int,
    width: int,
    height: int,
    seconds: float,
    fps: int = 24,
    source: Image.Image | None = None,
    audio: tuple[np.ndarray, int] | None = None,
) -> bytes:
    """An H.264 MP4: an animated procedural scene, or a slow pan/zoom over `source`.

    `audio` (int16 samples, rate) is muxed as an AAC track, cut or padded to the clip.
    """
    width, height = video_size(width, height)
    fps, count = frame_plan(seconds, fps)
    if source is not None:
        frames = _ken_burns(_rgb_only(_prepare_source(source)), seed, width, height, count)
    else:
        frames = _animation(make_scene(prompt, seed), width, height, count)
    return _encode_mp4(frames, width, height, fps, count / fps, audio)


def _animation(scene: Scene, width: int, height: int, count: int) -> Iterator[np.ndarray]:
    # Drawn at most ANIMATION_SIDE wide; the encoder's scaler brings frames to full size
    # far faster than Pillow could draw them there.
    scale = min(1.0, ANIMATION_SIDE / max(width, height))
    small = (max(2, round(width * scale)), max(2, round(height * scale)))
    for index in range(count):
        yield np.asarray(render_scene(scene, *small, t=index / max(count, 24)))


def _ken_burns(
    source: Image.Image, seed: int, width: int, height: int, count: int
) -> Iterator[np.ndarray]:
    rng = seeded_rng("pan", seed)
    base = np.asarray(
        ImageOps.fit(source, (int(width * 1.25), int(height * 1.25)), Image.Resampling.BICUBIC)
    )
    full_h, full_w = base.shape[:2]
    zoom_to = rng.uniform(0.78, 0.9)
    drift = rng.uniform(-1, 1, 2)
    for index in range(count):
        t = index / max(count - 1, 1)
        eased = t * t * (3 - 2 * t)  # smoothstep: the camera starts and stops gently
        scale = 1 - (1 - zoom_to) * eased
        bw, bh = round(full_w * scale), round(full_h * scale)
        left = round((full_w - bw) / 2 * (1 + drift[0] * eased))
        top = round((full_h - bh) / 2 * (1 + drift[1] * eased))
        yield np.ascontiguousarray(base[top : top + bh, left : left + bw])


def _h264_codec() -> str:
    return "libx264" if "libx264" in av.codecs_available else "h264"


def _encode_mp4(
    frames: Iterator[np.ndarray],
    width: int,
    height: int,
    fps: int,
    seconds: float,
    audio: tuple[np.ndarray, int] | None,
) -> bytes:
    # A real file, not BytesIO: "+faststart" rewrites it so browsers can play while loading.
    with tempfile.TemporaryDirectory(prefix="localfal-") as folder:
        path = os.path.join(folder, "clip.mp4")
        with av.open(path, mode="w", format="mp4", options={"movflags": "+faststart"}) as out:
            video = out.add_stream(_h264_codec(), rate=fps)
            video.width, video.height, video.pix_fmt = width, height, "yuv420p"
            video.options = {"preset": "superfast", "crf": "26"}
            sound = _add_audio(out, audio, seconds) if audio else None
            for pixels in frames:
                frame = av.VideoFrame.from_ndarray(pixels, format="rgb24")
                out.mux(
                    video.encode(frame.reformat(width, height, "yuv420p", interpolation="BILINEAR"))
                )
            out.mux(video.encode(None))
            if sound:
                stream, frame = sound
                out.mux(stream.encode(frame))
                out.mux(stream.encode(None))
        with open(path, "rb") as handle:
            return handle.read()


def _add_audio(
    out: av.container.OutputContainer, audio: tuple[np.ndarray, int], seconds: float
) -> tuple[av.audio.stream.AudioStream, av.AudioFrame] | None:
    samples, rate = audio
    rate = min(max(int(rate), 8000), 48000)
    wanted = max(1, int(seconds * rate))
    pcm = np.zeros(wanted, np.int16)
    mono = np.asarray(samples, np.int16).reshape(len(samples), -1).mean(axis=1).astype(np.int16)
    pcm[: min(wanted, mono.size)] = mono[:wanted]
    stream = out.add_stream("aac", rate=rate)
    stream.layout = "mono"
    frame = av.AudioFrame.from_ndarray(pcm.reshape(1, -1), format="s16", layout="mono")
    frame.sample_rate = rate
    return stream, frame


def video_still(data: bytes) -> tuple[Image.Image, float]:
    """(first frame, duration in seconds) of a video; raises MediaError."""
    try:
        with av.open(io.BytesIO(data)) as container:
            stream = next((s for s in container.streams if s.type == "video"), None)
            if stream is None:
                raise MediaError("the input has no video track")
            frame = next(container.decode(stream), None)
            if frame is None:
                raise MediaError("the input video has no frames")
            duration = _stream_seconds(container, stream)
            return frame.to_image(), duration
    except av.FFmpegError as exc:
        raise MediaError(f"could not decode the input video: {exc}") from exc


def _stream_seconds(container: av.container.InputContainer, stream: av.VideoStream) -> float:
    if stream.duration and stream.time_base:
        return float(stream.duration * stream.time_base)
    if container.duration:
        return container.duration / 1_000_000  # container durations are in AV_TIME_BASE units
    return 0.0
