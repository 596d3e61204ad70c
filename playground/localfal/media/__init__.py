"""Small, honest local "models" for the fal emulator.

Procedural pictures, real Pillow edits, melodies, espeak-ng speech and H.264 clips. Every
function is deterministic for a given prompt and seed, and caps its own work so a request
can't keep the emulator busy for minutes (sizes and durations are clamped, never refused).
"""

from __future__ import annotations

from playground.localfal.media.audio import (
    decode_audio,
    encode_mp3,
    encode_wav,
    read_wav,
    soften_audio,
    speech_audio,
    tone_audio,
)
from playground.localfal.media.common import (
    MAX_IMAGE_PIXELS,
    MAX_IMAGE_SIDE,
    MAX_SECONDS,
    MAX_VIDEO_FRAMES,
    MIN_SECONDS,
    InputTooLarge,
    MediaError,
    clamp_seconds,
    fit_image_size,
    seeded_rng,
)
from playground.localfal.media.edits import transform_image
from playground.localfal.media.pictures import (
    IMAGE_FORMATS,
    encode_image,
    load_image,
    procedural_image,
)
from playground.localfal.media.video import frame_plan, make_video, video_size, video_still

__all__ = [
    "IMAGE_FORMATS",
    "MAX_IMAGE_PIXELS",
    "MAX_IMAGE_SIDE",
    "MAX_SECONDS",
    "MAX_VIDEO_FRAMES",
    "MIN_SECONDS",
    "InputTooLarge",
    "MediaError",
    "clamp_seconds",
    "decode_audio",
    "encode_image",
    "encode_mp3",
    "encode_wav",
    "fit_image_size",
    "frame_plan",
    "load_image",
    "make_video",
    "procedural_image",
    "read_wav",
    "seeded_rng",
    "soften_audio",
    "speech_audio",
    "tone_audio",
    "transform_image",
    "video_size",
    "video_still",
]
