"""The emulator's local "models": real, decodable, deterministic media within caps."""

from __future__ import annotations

import io
import wave

import av
import numpy as np
import pytest
from PIL import Image, ImageChops, ImageDraw, ImageStat

from playground.localfal import media


def png(img: Image.Image) -> bytes:
    return media.encode_image(img, "png")[0]


def difference(a: Image.Image, b: Image.Image) -> float:
    """Mean absolute per-channel difference, 0..255."""
    diff = ImageChops.difference(a.convert("RGB"), b.convert("RGB"))
    return sum(ImageStat.Stat(diff).mean) / 3


@pytest.fixture(scope="module")
def source() -> Image.Image:
    """A picture with fine detail, like a photo: smooth gradients alone hide a blur."""
    img = media.procedural_image("a harbour at noon", 5, 320, 240)
    draw = ImageDraw.Draw(img)
    for x in range(0, 320, 8):
        draw.line((x, 0, x, 240), fill=(20, 20, 20))
    for y in range(0, 240, 8):
        draw.line((0, y, 320, y), fill=(235, 235, 235))
    return img


# -- procedural pictures ------------------------------------------------------------------
@pytest.mark.parametrize("size", [(1024, 1024), (333, 77), (1, 1), (576, 1024)])
def test_procedural_image_has_exactly_the_requested_size(size):
    assert media.procedural_image("a red fox", 1, *size).size == size


def test_same_prompt_and_seed_give_identical_bytes():
    first = media.procedural_image("a red fox", 42, 256, 256)
    second = media.procedural_image("a red fox", 42, 256, 256)
    assert png(first) == png(second)


def test_other_prompts_and_seeds_give_visibly_different_pictures():
    base = media.procedural_image("a red fox", 42, 256, 256)
    assert difference(base, media.procedural_image("a blue whale", 42, 256, 256)) > 10
    assert difference(base, media.procedural_image("a red fox", 43, 256, 256)) > 10


def test_huge_requests_are_scaled_down_keeping_the_shape():
    width, height = media.fit_image_size(20000, 10000)
    assert max(width, height) <= media.MAX_IMAGE_SIDE
    assert width * height <= media.MAX_IMAGE_PIXELS
    assert abs(width / height - 2) < 0.01


# -- edits --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "endpoint_id",
    [
        "fal-ai/image-editing/cartoonify",
        "fal-ai/image-editing/color-correction",
        "fal-ai/image-editing/style-transfer",
        "fal-ai/image-editing/object-removal",
        "fal-ai/image-editing/text-removal",
        "fal-ai/image-editing/face-enhancement",
        "fal-ai/image-editing/age-progression",
        "fal-ai/image-editing/background-change",
        "fal-ai/image-editing/hair-change",
        "fal-ai/image-editing/professional-photo",
        "fal-ai/flux-kontext/dev",
    ],
)
def test_each_edit_changes_the_picture_and_keeps_its_size(source, endpoint_id):
    edited = media.transform_image(source, endpoint_id=endpoint_id, prompt="sunset", seed=3)
    assert edited.size == source.size
    assert difference(edited, source) > 1


def test_edits_are_deterministic(source):
    def edit() -> bytes:
        return png(media.transform_image(source, endpoint_id="x/edit", prompt="p", seed=9))

    assert edit() == edit()


def test_age_progression_desaturates(source):
    aged = media.transform_image(
        source, endpoint_id="fal-ai/image-editing/age-progression", prompt="", seed=1
    )
    saturation = ImageStat.Stat(aged.convert("HSV").getchannel("S")).mean[0]
    assert saturation < ImageStat.Stat(source.convert("HSV").getchannel("S")).mean[0]


def test_upscalers_double_the_size_by_default(source):
    bigger = media.transform_image(source, endpoint_id="fal-ai/clarity-upscaler", prompt="", seed=1)
    assert bigger.size == (640, 480)


def test_upscaling_is_capped_at_4096_pixels(source):
    wide = source.resize((3000, 1000))
    bigger = media.transform_image(
        wide, endpoint_id="fal-ai/seedvr/upscale/image", prompt="", seed=1
    )
    assert bigger.size == (4096, 1365)


def test_reframe_pads_the_source_to_the_requested_size(source):
    reframed = media.transform_image(
        source, endpoint_id="fal-ai/ideogram/v3/reframe", prompt="", seed=1, width=512, height=256
    )
    assert reframed.size == (512, 256)


def test_other_edits_crop_to_a_requested_size(source):
    edited = media.transform_image(
        source, endpoint_id="fal-ai/flux-pro/kontext/max", prompt="", seed=1, width=200, height=200
    )
    assert edited.size == (200, 200)


def test_background_removal_gives_transparency(source):
    cut = media.transform_image(source, endpoint_id="fal-ai/birefnet", prompt="", seed=1)
    assert cut.mode == "RGBA"
    assert cut.getchannel("A").getextrema()[0] == 0


# -- image files --------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("fmt", "content_type", "pil_format"),
    [
        ("jpeg", "image/jpeg", "JPEG"),
        ("jpg", "image/jpeg", "JPEG"),
        ("png", "image/png", "PNG"),
        ("webp", "image/webp", "WEBP"),
    ],
)
def test_encoded_images_decode_in_their_format(source, fmt, content_type, pil_format):
    data, stated = media.encode_image(source, fmt)
    assert stated == content_type
    assert Image.open(io.BytesIO(data)).format == pil_format


def test_jpeg_of_a_transparent_picture_is_flattened():
    data, _ = media.encode_image(Image.new("RGBA", (8, 8), (255, 0, 0, 128)), "jpeg")
    assert Image.open(io.BytesIO(data)).mode == "RGB"


def test_unknown_image_format_is_refused(source):
    with pytest.raises(media.MediaError):
        media.encode_image(source, "tiff")


def test_load_image_keeps_transparency():
    data = png(Image.new("RGBA", (4, 4), (0, 0, 0, 0)))
    assert media.load_image(data).mode == "RGBA"


@pytest.mark.parametrize("data", [b"", b"not an image at all"])
def test_undecodable_images_raise_a_clear_media_error(data):
    with pytest.raises(media.MediaError, match="input image"):
        media.load_image(data)


# -- sound --------------------------------------------------------------------------------
def test_tone_has_the_requested_length_and_is_deterministic():
    samples = media.tone_audio("rain", 1, 1.5, 22050)
    assert samples.dtype == np.int16
    assert len(samples) == int(1.5 * 22050)
    assert np.array_equal(samples, media.tone_audio("rain", 1, 1.5, 22050))
    assert not np.array_equal(samples, media.tone_audio("snow", 1, 1.5, 22050))


def test_tone_durations_are_capped():
    assert len(media.tone_audio("x", 1, 3600, 8000)) == media.MAX_SECONDS * 8000
    assert len(media.tone_audio("x", 1, 0, 8000)) == media.MIN_SECONDS * 8000


def test_speech_uses_espeak_when_installed():
    samples, rate = media.speech_audio("Hello from the test suite.")
    assert rate > 0
    assert 0.5 < len(samples) / rate < 10
    assert np.abs(samples).max() > 1000


def test_speech_falls_back_to_tones_without_espeak(monkeypatch):
    monkeypatch.setattr(media.audio.shutil, "which", lambda name: None)
    samples, rate = media.speech_audio("Hello there", seconds_hint=2)
    assert len(samples) == 2 * rate


def test_wav_files_parse_with_the_standard_library():
    data = media.encode_wav(media.tone_audio("x", 1, 0.5, 16000), 16000)
    with wave.open(io.BytesIO(data)) as reader:
        assert (reader.getframerate(), reader.getnframes()) == (16000, 8000)


def test_mp3_files_decode_to_about_the_same_length():
    data = media.encode_mp3(media.tone_audio("x", 1, 2.0, 22050), 22050)
    samples, rate = media.decode_audio(data)
    assert abs(len(samples) / rate - 2.0) < 0.1


def test_undecodable_audio_raises_a_media_error():
    with pytest.raises(media.MediaError):
        media.decode_audio(b"not audio")


# -- video --------------------------------------------------------------------------------
def open_video(data: bytes) -> tuple[str, tuple[int, int], int, float, list[str]]:
    with av.open(io.BytesIO(data)) as container:
        stream = container.streams.video[0]
        kinds = [s.type for s in container.streams]
        frames = sum(1 for _ in container.decode(stream))
        size = (stream.codec_context.width, stream.codec_context.height)
        return stream.codec_context.name, size, frames, container.duration / 1e6, kinds


def test_video_is_an_h264_mp4_with_one_frame_per_tick():
    codec, size, frames, seconds, kinds = open_video(media.make_video("a storm", 1, 160, 90, 1.0))
    assert (codec, size, frames, kinds) == ("h264", (160, 90), 24, ["video"])
    assert abs(seconds - 1.0) < 0.1


def test_video_dimensions_are_made_even_and_capped():
    assert media.video_size(321, 181) == (320, 180)
    assert open_video(media.make_video("a storm", 1, 1920, 1080, 0.2))[1] == (1280, 720)


def test_long_videos_lower_the_frame_rate_instead_of_shrinking():
    fps, frames = media.frame_plan(30, 24)
    assert frames <= media.MAX_VIDEO_FRAMES
    assert frames / fps == pytest.approx(30, abs=1)


def test_same_seed_gives_the_same_video_bytes():
    assert media.make_video("a storm", 1, 96, 64, 0.5) == media.make_video(
        "a storm", 1, 96, 64, 0.5
    )


def test_image_to_video_starts_on_the_source_picture(source):
    data = media.make_video("", 1, 320, 240, 0.5, source=source)
    first_frame, seconds = media.video_still(data)
    assert difference(first_frame.resize(source.size), source) < 20
    assert seconds == pytest.approx(0.5, abs=0.1)


def test_video_can_carry_an_audio_track():
    audio = (media.tone_audio("x", 1, 1.0, 22050), 22050)
    data = media.make_video("a storm", 1, 96, 64, 1.0, audio=audio)
    assert open_video(data)[4] == ["video", "audio"]
    samples, rate = media.decode_audio(data)
    assert abs(len(samples) / rate - 1.0) < 0.1
