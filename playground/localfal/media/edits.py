"""Real Pillow edits, chosen by words in the endpoint id."""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np
from PIL import Image, ImageChops, ImageDraw, ImageEnhance, ImageFilter, ImageOps

from playground.localfal.media.common import (
    MAX_SOURCE_SIDE,
    MAX_UPSCALE_SIDE,
    Size,
    fit_image_size,
    hsv,
    rgb,
    seeded_rng,
)
from playground.localfal.media.pictures import procedural_image

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
    img = prepare_source(source)
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


def prepare_source(source: Image.Image) -> Image.Image:
    img = source.convert("RGBA" if source.mode in ("RGBA", "LA", "PA") else "RGB")
    if max(img.size) > MAX_SOURCE_SIDE:
        img.thumbnail((MAX_SOURCE_SIDE, MAX_SOURCE_SIDE), Image.Resampling.BICUBIC)
    return img


def rgb_only(img: Image.Image) -> Image.Image:
    return img.convert("RGB") if img.mode != "RGB" else img


def _cartoonify(img: Image.Image, rng: np.random.Generator, prompt: str, seed: int) -> Image.Image:
    smooth = rgb_only(img).filter(ImageFilter.SMOOTH_MORE).filter(ImageFilter.SMOOTH_MORE)
    flat = ImageEnhance.Color(ImageOps.posterize(smooth, 3)).enhance(1.4)
    # FIND_EDGES sees the frame border as an edge; blank it so no outline is drawn around it.
    edges = ImageOps.expand(ImageOps.crop(smooth.convert("L").filter(ImageFilter.FIND_EDGES), 1), 1)
    lines = edges.point(lambda v: 0 if v > 28 else 255).filter(ImageFilter.MinFilter(3))
    return ImageChops.multiply(flat, lines.convert("RGB"))


def _autocontrast(
    img: Image.Image, rng: np.random.Generator, prompt: str, seed: int
) -> Image.Image:
    balanced = ImageOps.autocontrast(rgb_only(img), cutoff=1, preserve_tone=False)
    return ImageEnhance.Color(balanced).enhance(1.1)


def _upscale(img: Image.Image, size: Size | None) -> Image.Image:
    target = size or (img.width * 2, img.height * 2)
    scale = min(1.0, MAX_UPSCALE_SIDE / max(target))
    target = (max(1, int(target[0] * scale)), max(1, int(target[1] * scale)))
    bigger = img.resize(target, Image.Resampling.BICUBIC)
    return bigger.filter(ImageFilter.UnsharpMask(radius=2, percent=90, threshold=2))


def _style_tint(img: Image.Image, rng: np.random.Generator, prompt: str, seed: int) -> Image.Image:
    hue = seeded_rng("tint", prompt).random()
    dark, light = rgb(hsv(hue, 0.7, 0.25)), rgb(hsv(hue + 0.12, 0.35, 1.0))
    tinted = ImageOps.colorize(img.convert("L"), black=dark, white=light)
    return Image.blend(rgb_only(img), tinted, 0.65).filter(ImageFilter.EDGE_ENHANCE)


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
    sharp = ImageEnhance.Sharpness(rgb_only(img).filter(ImageFilter.DETAIL)).enhance(2.0)
    return ImageEnhance.Brightness(ImageEnhance.Contrast(sharp).enhance(1.1)).enhance(1.04)


def _sepia(img: Image.Image, rng: np.random.Generator, prompt: str, seed: int) -> Image.Image:
    grey = ImageOps.autocontrast(img.convert("L"), cutoff=1)
    toned = ImageOps.colorize(grey, black=(40, 26, 14), white=(246, 228, 196), mid=(158, 120, 84))
    faded = ImageEnhance.Color(rgb_only(img)).enhance(0.2)
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
    return Image.composite(rgb_only(img), background, _subject_mask(img.size))


def _cut_out(img: Image.Image, rng: np.random.Generator, prompt: str, seed: int) -> Image.Image:
    cut = img.convert("RGBA")
    cut.putalpha(ImageChops.multiply(cut.getchannel("A"), _subject_mask(img.size)))
    return cut


def _reframe(img: Image.Image, size: Size) -> Image.Image:
    """Outpainting stand-in: the whole source, centred, over a blurred stretch of itself."""
    backdrop = ImageOps.fit(rgb_only(img), size, Image.Resampling.BILINEAR)
    backdrop = ImageEnhance.Brightness(
        backdrop.filter(ImageFilter.GaussianBlur(max(size) / 25))
    ).enhance(0.8)
    inner = ImageOps.contain(img, size, Image.Resampling.BICUBIC)
    offset = ((size[0] - inner.width) // 2, (size[1] - inner.height) // 2)
    backdrop.paste(rgb_only(inner), offset)
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
    graded = rgb_only(img).point(lut)
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
