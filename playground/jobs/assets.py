"""Copy a generation's output files into our storage, with thumbnails.

fal's media URLs expire; the gallery must not. Files are sniffed by their bytes (not the
URL or the declared type), capped in size, and described (dimensions, duration).
"""

from __future__ import annotations

import hashlib
import io
import logging
import mimetypes
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from PIL import Image, UnidentifiedImageError

from playground.fal.errors import FalError
from playground.jobs.models import EventKind, Generation, MediaAsset, MediaKind, OutputKind
from playground.lib import serving
from playground.lib.images import ImageTooLarge, check_size, open_image, sniff_image_type

log = logging.getLogger(__name__)
MAX_ASSETS = 50
THUMB_SIDE = 512
URL_PREFIXES = ("http://", "https://", "data:")
MESH_EXTENSIONS = (".glb", ".gltf", ".obj", ".ply", ".stl", ".fbx", ".usdz", ".usd")
MESH_WORDS = ("mesh", "glb", "gltf", "3d")
TEXT_KEYS = ("output", "text", "transcription", "response", "answer")


@dataclass
class Found:
    path: str  # where in the output, e.g. "images.0"
    url: str
    declared_type: str


def find_media(output: Any, path: str = "") -> list[Found]:
    """Every file URL in an output: objects with a `url`, and strings under `*url` keys."""
    found: list[Found] = []
    if isinstance(output, dict):
        url = output.get("url")
        if isinstance(url, str) and url.startswith(URL_PREFIXES):
            return [Found(path, url, str(output.get("content_type") or ""))]
        for key, value in output.items():
            child = f"{path}.{key}" if path else str(key)
            if isinstance(value, str) and key.endswith("url") and value.startswith(URL_PREFIXES):
                found.append(Found(child, value, ""))
            else:
                found.extend(find_media(value, child))
    elif isinstance(output, list):
        for index, value in enumerate(output):
            child = f"{path}.{index}" if path else str(index)
            if isinstance(value, str) and value.startswith(URL_PREFIXES):
                found.append(Found(child, value, ""))
            else:
                found.extend(find_media(value, child))
    return found


async def copy_assets(
    fal: Any, generation: Generation, output: Any, *, db: Any, files: Any
) -> list[MediaAsset]:
    """Download and store each output file; a file that fails is noted, not fatal.

    `files` writes files and thumbnails, `db` saves rows (the runner's DbPools), both off
    the event loop."""
    from playground.jobs import actions

    assets = []
    for position, item in enumerate(find_media(output)[:MAX_ASSETS]):
        try:
            data, served_type = await fal.download(item.url, max_bytes=settings.ASSET_MAX_BYTES)
        except FalError as error:
            payload = {"message": f"Could not copy {item.path}: {error}", "path": item.path}
            await db.run(
                actions.record_event, generation=generation, kind=EventKind.ERROR, payload=payload
            )
            continue
        declared = item.declared_type or served_type
        asset = await files.run(prepare_asset, generation, position, item, data, declared)
        await db.run(asset.save)
        assets.append(asset)
        if asset.note:
            payload = {"message": f"{item.path}: {asset.note}", "path": item.path}
            await db.run(
                actions.record_event, generation=generation, kind=EventKind.ERROR, payload=payload
            )
    return assets


def output_kind(assets: list[Any], output: Any) -> str:
    """What a run made, for the gallery's Media filter: its first stored file's kind (a
    3D model when the file is a mesh), else text when the output carries text, else
    "other"; "" when it made nothing. `assets` are MediaAsset rows (or migration-time
    copies of them) in position order."""
    files = [a for a in assets if not (a.output_path or "").startswith("input.")]
    if files:
        first = files[0]
        if first.kind in (MediaKind.IMAGE, MediaKind.VIDEO, MediaKind.AUDIO, MediaKind.TEXT):
            return first.kind
        return OutputKind.MESH if _is_mesh(first) else OutputKind.OTHER
    if isinstance(output, dict) and any(isinstance(output.get(k), str) for k in TEXT_KEYS):
        return OutputKind.TEXT
    return OutputKind.OTHER if output else ""


def _is_mesh(asset: Any) -> bool:
    names = (asset.source_url or "", getattr(asset.file, "name", "") or "")
    if any(name.lower().split("?")[0].endswith(MESH_EXTENSIONS) for name in names):
        return True
    if (asset.content_type or "").startswith("model/"):
        return True
    path = (asset.output_path or "").lower()
    return any(word in path for word in MESH_WORDS)


def store_asset(
    generation: Generation, position: int, item: Found, data: bytes, declared: str
) -> MediaAsset:
    asset = prepare_asset(generation, position, item, data, declared)
    asset.save()
    return asset


def prepare_asset(
    generation: Generation, position: int, item: Found, data: bytes, declared: str
) -> MediaAsset:
    """The file and thumbnail written to storage, the row not yet saved: files are slow
    work for any thread, while a runner saves rows on its one database writer."""
    described = describe(data, declared)
    asset = MediaAsset(
        generation=generation,
        position=position,
        kind=described.kind,
        source_url=item.url if not item.url.startswith("data:") else "data:",
        output_path=item.path,
        content_type=described.content_type,
        width=described.width,
        height=described.height,
        duration=described.duration,
        bytes=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
    )
    asset.note = described.note  # not a column: copy_assets records it as an event
    name = f"{position:02d}-{item.path.replace('.', '-') or 'file'}{described.extension}"
    asset.file.save(name, ContentFile(data), save=False)
    if described.thumbnail:
        asset.thumbnail.save(
            f"{position:02d}-thumb.jpg", ContentFile(described.thumbnail), save=False
        )
    return asset


@dataclass
class Described:
    kind: str
    content_type: str
    extension: str
    width: int | None = None
    height: int | None = None
    duration: float | None = None
    thumbnail: bytes | None = None
    note: str = ""  # why it has no preview, for the generation's events


def describe(data: bytes, declared: str) -> Described:
    """What the bytes really are: an image (Pillow), audio/video (PyAV), text, or a file.

    The stored type comes from the bytes: a declared picture, sound or video that is none
    is a plain file, so nothing but real media is ever served inline (lib/serving.py)."""
    declared = serving.media_type(declared)
    picture = sniff_image_type(data)
    if picture or not declared.startswith(("audio/", "video/")):
        image = _as_image(data)
        if image:
            return image
    media = None if picture else _as_audio_or_video(data)  # ffmpeg would decode a picture
    if media:
        return media
    if declared.startswith("text/") or declared in ("application/json",):
        return Described(MediaKind.TEXT, declared, mimetypes.guess_extension(declared) or ".txt")
    if not declared or declared.startswith(("image/", "audio/", "video/")):
        declared = "application/octet-stream"
    return Described(MediaKind.FILE, declared, mimetypes.guess_extension(declared) or ".bin")


def _as_image(data: bytes) -> Described | None:
    """An image with its thumbnail; past IMAGE_MAX_PIXELS, its header only (no decoding)."""
    try:
        with open_image(data) as image:
            described = _image_header(image)
            image.load()
            described.thumbnail = _thumbnail(image)
            return described
    except ImageTooLarge as exc:
        return _too_large_image(data, exc)
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        return None


def _image_header(image: Image.Image) -> Described:
    fmt = (image.format or "PNG").lower()
    content_type = Image.MIME.get(image.format or "", f"image/{fmt}")
    return Described(
        MediaKind.IMAGE,
        content_type,
        mimetypes.guess_extension(content_type) or f".{fmt}",
        width=image.width,
        height=image.height,
    )


def _thumbnail(image: Image.Image) -> bytes:
    copy = image.convert("RGB")
    copy.thumbnail((THUMB_SIDE, THUMB_SIDE))
    buffer = io.BytesIO()
    copy.save(buffer, "JPEG", quality=82, optimize=True)
    return buffer.getvalue()


_AUDIO_TYPES = {
    "mp3": "audio/mpeg",
    "wav": "audio/wav",
    "ogg": "audio/ogg",
    "mov": "audio/mp4",
    "matroska": "audio/webm",
}


def _as_audio_or_video(data: bytes) -> Described | None:
    import av

    try:
        with av.open(io.BytesIO(data)) as container:
            fmt = container.format.name.split(",")[0]
            if fmt.endswith("_pipe") or fmt == "image2":
                return None  # a still picture Pillow could not read (SVG...): a file
            seconds = container.duration / 1_000_000 if container.duration else None
            if container.streams.video and container.streams.video[0].codec_context:
                return _video(container, seconds)
            if container.streams.audio:
                content_type = _AUDIO_TYPES.get(fmt, f"audio/{fmt}")
                ext = mimetypes.guess_extension(content_type) or f".{fmt}"
                return Described(MediaKind.AUDIO, content_type, ext, duration=seconds)
    except (av.error.FFmpegError, ValueError, OSError):
        return None
    return None


def _video(container: Any, seconds: float | None) -> Described:
    """A video and its poster (the first frame), unless its frames are over the limit."""
    stream = container.streams.video[0]
    width = stream.codec_context.width or None
    height = stream.codec_context.height or None
    described = Described(
        MediaKind.VIDEO, "video/mp4", ".mp4", width=width, height=height, duration=seconds
    )
    try:
        check_size(width, height)
    except ImageTooLarge as exc:
        described.note = f"{exc} It is stored without a preview."
        return described
    for frame in container.decode(stream):
        described.thumbnail = _thumbnail(frame.to_image())
        break
    return described


def _too_large_image(data: bytes, error: ImageTooLarge) -> Described:
    """Kept as the model made it, never decoded: the type from its magic bytes."""
    content_type = sniff_image_type(data)
    if not content_type:
        return Described(MediaKind.FILE, "application/octet-stream", ".bin", note=str(error))
    width, height = error.size or (None, None)
    return Described(
        MediaKind.IMAGE,
        content_type,
        mimetypes.guess_extension(content_type) or ".img",
        width=width,
        height=height,
        note=f"{error} It is stored without a preview.",
    )
