"""H.264 MP4 clips: procedural animation or a pan/zoom over a source image."""

from __future__ import annotations

import io
import os
import tempfile
from collections.abc import Iterator

import av
import numpy as np
from PIL import Image, ImageOps

from playground.lib.images import ImageTooLarge, check_size
from playground.localfal.media.common import (
    ANIMATION_SIDE,
    MAX_VIDEO_FRAMES,
    MAX_VIDEO_SIDE,
    InputTooLarge,
    MediaError,
    Size,
    clamp_seconds,
    seeded_rng,
)
from playground.localfal.media.edits import prepare_source, rgb_only
from playground.localfal.media.pictures import Scene, make_scene, render_scene


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
        frames = _ken_burns(rgb_only(prepare_source(source)), seed, width, height, count)
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
            if stream is None or stream.codec_context is None:
                raise MediaError("the input has no video track")
            _check_frame_size(stream)
            frame = next(container.decode(stream), None)
            if frame is None:
                raise MediaError("the input video has no frames")
            duration = _stream_seconds(container, stream)
            return frame.to_image(), duration
    except av.FFmpegError as exc:
        raise MediaError(f"could not decode the input video: {exc}") from exc


def _check_frame_size(stream: av.VideoStream) -> None:
    try:
        check_size(stream.codec_context.width, stream.codec_context.height)
    except ImageTooLarge as exc:
        raise InputTooLarge(f"the input video's frames are too large: {exc}") from None


def _stream_seconds(container: av.container.InputContainer, stream: av.VideoStream) -> float:
    if stream.duration and stream.time_base:
        return float(stream.duration * stream.time_base)
    if container.duration:
        return container.duration / 1_000_000  # container durations are in AV_TIME_BASE units
    return 0.0
