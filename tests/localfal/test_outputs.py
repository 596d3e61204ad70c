"""The output builder against every bundled endpoint schema, with a fake CDN in a temp dir."""

from __future__ import annotations

import base64
import io
import json
import wave
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import av
import pytest
from jsonschema.validators import validator_for
from PIL import Image

from playground.catalog.openapi import ParsedEndpoint, parse_document
from playground.localfal import media
from playground.localfal.outputs import InputFileError, OutputContext, build_output
from playground.localfal.outputs.artifacts import make_zip

SCHEMAS = Path(__file__).resolve().parents[2] / "playground" / "catalog" / "schemas"
SCHEMA_FILES = sorted(SCHEMAS.glob("*.json"))


# -- fakes --------------------------------------------------------------------------------
@cache
def sample_image() -> bytes:
    return media.encode_image(media.procedural_image("sample input", 7, 640, 480), "png")[0]


@cache
def sample_audio(fmt: str) -> bytes:
    samples = media.tone_audio("sample input", 7, 2.0, 22050)
    return media.encode_wav(samples, 22050) if fmt == "wav" else media.encode_mp3(samples, 22050)


@cache
def sample_video() -> bytes:
    return media.make_video("sample input", 7, 160, 96, 1.0, fps=12)


def sample_for(url: str) -> bytes:
    """Bytes an input URL would serve, chosen by its extension (or words in it)."""
    path = urlsplit(url).path.lower()
    extension = path.rsplit(".", 1)[-1] if "." in path.rsplit("/", 1)[-1] else ""
    if extension in ("mp3", "wav"):
        return sample_audio(extension)
    if extension in ("mp4", "mov", "webm") or "video" in path:
        return sample_video()
    if extension == "zip" or "data" in path:
        return make_zip({"one.png": sample_image(), "two.png": sample_image()})
    if "audio" in path or "voice" in path:
        return sample_audio("mp3")
    return sample_image()


@dataclass
class FakeCdn:
    root: Path
    stored: dict[str, tuple[Path, str]] = field(default_factory=dict)
    fetched: list[str] = field(default_factory=list)
    logs: list[str] = field(default_factory=list)

    def store(self, data: bytes, content_type: str, file_name: str) -> str:
        key = f"{len(self.stored):04d}"
        path = self.root / key / file_name
        path.parent.mkdir(parents=True)
        path.write_bytes(data)
        url = f"http://testserver/localfal/cdn/files/{key}/{file_name}"
        self.stored[url] = (path, content_type)
        return url

    def fetch(self, url: str) -> bytes:
        self.fetched.append(url)
        if url in self.stored:
            return self.stored[url][0].read_bytes()
        return sample_for(url)

    def read(self, url: str) -> bytes:
        if url.startswith("data:"):
            return base64.b64decode(url.split(",", 1)[1])
        return self.stored[url][0].read_bytes()

    def context(self, endpoint: ParsedEndpoint, data: dict[str, Any], seed: int = 1234):
        return OutputContext(
            endpoint_id=endpoint.endpoint_id,
            category=endpoint.category,
            input=data,
            seed=seed,
            store_file=self.store,
            fetch_file=self.fetch,
            log=self.logs.append,
        )


@pytest.fixture
def cdn(tmp_path: Path) -> FakeCdn:
    return FakeCdn(tmp_path / "cdn")


# -- inputs -------------------------------------------------------------------------------
@cache
def endpoint_from(path: Path) -> ParsedEndpoint:
    return parse_document(json.loads(path.read_text()))


def endpoint(name: str) -> ParsedEndpoint:
    return endpoint_from(SCHEMAS / f"{name}.json")


def example_input(schema: dict[str, Any]) -> dict[str, Any]:
    """Schema defaults, plus an example value for every required field without one."""
    props = schema.get("properties") or {}
    data = {k: p["default"] for k, p in props.items() if "default" in p}
    for key in schema.get("required") or []:
        if key not in data:
            data[key] = example_value(key, props.get(key) or {})
    return data


def example_value(key: str, prop: dict[str, Any]) -> Any:
    if prop.get("examples"):
        return prop["examples"][0]
    if key.endswith("urls"):
        return [f"https://example.com/{key}.png"]
    if key.endswith("url"):
        return f"https://example.com/{key}.zip" if "data" in key else f"https://example.com/{key}"
    return "a lighthouse on a cliff at dusk"


def run(cdn: FakeCdn, name: str, seed: int = 1234, **overrides: Any) -> dict[str, Any]:
    parsed = endpoint(name)
    data = {**example_input(parsed.input_schema), **overrides}
    return build_output(parsed.output_schema, cdn.context(parsed, data, seed))


def file_urls(value: Any) -> list[str]:
    """Every `url` (and `*_url` string) anywhere in an output."""
    if isinstance(value, dict):
        found = [v for k, v in value.items() if k.endswith("url") and isinstance(v, str)]
        return found + [u for k, v in value.items() for u in file_urls(v) if k != "url"]
    if isinstance(value, list):
        return [u for item in value for u in file_urls(item)]
    return []


def file_objects(value: Any) -> list[dict[str, Any]]:
    if isinstance(value, dict):
        here = [value] if isinstance(value.get("url"), str) else []
        return here + [o for v in value.values() for o in file_objects(v)]
    if isinstance(value, list):
        return [o for item in value for o in file_objects(item)]
    return []


def assert_decodes(data: bytes, content_type: str, described: dict[str, Any]) -> None:
    assert data, "file is empty"
    if content_type.startswith("image/"):
        img = Image.open(io.BytesIO(data))
        img.load()
        assert (described.get("width") or img.width, described.get("height") or img.height) == (
            img.width,
            img.height,
        )
    elif content_type == "video/mp4":
        with av.open(io.BytesIO(data)) as container:
            assert sum(1 for _ in container.decode(video=0)) >= 1
    elif content_type == "audio/wav":
        with wave.open(io.BytesIO(data)) as reader:
            assert reader.getnframes() > 0
    elif content_type == "model/gltf-binary":
        assert data[:4] == b"glTF"


# -- every bundled endpoint ---------------------------------------------------------------
@pytest.mark.parametrize("path", SCHEMA_FILES, ids=[p.stem for p in SCHEMA_FILES])
def test_every_bundled_endpoint_gets_a_valid_output_with_real_files(path: Path, cdn: FakeCdn):
    parsed = endpoint_from(path)
    data = example_input(parsed.input_schema)
    validator_for(parsed.input_schema)(parsed.input_schema).validate(data)

    output = build_output(parsed.output_schema, cdn.context(parsed, data))

    validator_for(parsed.output_schema)(parsed.output_schema).validate(output)
    for described in file_objects(output):
        content_type = described.get("content_type") or cdn.stored[described["url"]][1]
        assert_decodes(cdn.read(described["url"]), content_type, described)
    for url in file_urls(output):
        assert url.startswith("data:") or url in cdn.stored
    assert cdn.logs


def test_bundled_schemas_are_all_exercised():
    assert len(SCHEMA_FILES) >= 50


# -- images -------------------------------------------------------------------------------
def test_same_seed_gives_the_same_image_bytes(tmp_path: Path):
    first, second = FakeCdn(tmp_path / "a"), FakeCdn(tmp_path / "b")
    one = run(first, "fal-ai__flux__dev", seed=99, prompt="a red fox")
    two = run(second, "fal-ai__flux__dev", seed=99, prompt="a red fox")
    assert first.read(one["images"][0]["url"]) == second.read(two["images"][0]["url"])


def test_another_seed_gives_another_image(cdn: FakeCdn):
    one = run(cdn, "fal-ai__flux__dev", seed=1, prompt="a red fox")
    two = run(cdn, "fal-ai__flux__dev", seed=2, prompt="a red fox")
    assert cdn.read(one["images"][0]["url"]) != cdn.read(two["images"][0]["url"])


@pytest.mark.parametrize(
    ("image_size", "expected"),
    [
        ("portrait_16_9", (576, 1024)),
        ("square", (512, 512)),
        ({"width": 640, "height": 360}, (640, 360)),
    ],
)
def test_requested_image_size_is_honoured(cdn: FakeCdn, image_size: Any, expected: tuple):
    output = run(cdn, "fal-ai__flux__schnell", image_size=image_size)
    image = output["images"][0]
    assert (image["width"], image["height"]) == expected
    assert Image.open(io.BytesIO(cdn.read(image["url"]))).size == expected


def test_aspect_ratio_sets_the_image_shape(cdn: FakeCdn):
    output = run(cdn, "fal-ai__imagen4__preview__ultra", aspect_ratio="16:9")
    assert Image.open(io.BytesIO(cdn.read(output["images"][0]["url"]))).size == (1024, 576)


def test_num_images_and_nsfw_flags_agree(cdn: FakeCdn):
    output = run(cdn, "fal-ai__fast-sdxl", num_images=3, image_size="square")
    assert len(output["images"]) == 3
    assert output["has_nsfw_concepts"] == [False, False, False]
    assert len({cdn.read(i["url"]) for i in output["images"]}) == 3


def test_output_format_png_gives_a_png(cdn: FakeCdn):
    output = run(cdn, "fal-ai__flux__dev", output_format="png", image_size="square")
    image = output["images"][0]
    assert image["content_type"] == "image/png"
    assert Image.open(io.BytesIO(cdn.read(image["url"]))).format == "PNG"


def test_each_image_made_is_logged(cdn: FakeCdn):
    run(cdn, "fal-ai__flux__dev", num_images=2, image_size="square")
    assert [line for line in cdn.logs if line.startswith("rendering")] == [
        "rendering image 1/2",
        "rendering image 2/2",
    ]


def test_an_editing_endpoint_really_transforms_its_input(cdn: FakeCdn):
    output = run(cdn, "fal-ai__image-editing__cartoonify", output_format="png")
    edited = Image.open(io.BytesIO(cdn.read(output["images"][0]["url"]))).convert("RGB")
    source = Image.open(io.BytesIO(sample_image())).convert("RGB")
    assert edited.size == source.size
    assert edited.tobytes() != source.tobytes()
    assert cdn.fetched


def test_an_upscaler_doubles_its_input(cdn: FakeCdn):
    output = run(cdn, "fal-ai__clarity-upscaler", upscale_factor=2)
    assert (output["image"]["width"], output["image"]["height"]) == (1280, 960)


def test_reframe_gives_the_requested_size(cdn: FakeCdn):
    output = run(cdn, "fal-ai__ideogram__v3__reframe", image_size="landscape_16_9")
    assert Image.open(io.BytesIO(cdn.read(output["images"][0]["url"]))).size == (1024, 576)


def test_unreachable_input_url_raises_input_file_error(cdn: FakeCdn):
    def unreachable(url: str) -> bytes:
        raise InputFileError(f"could not download {url}")

    parsed = endpoint("fal-ai__flux-kontext__dev")
    context = cdn.context(parsed, example_input(parsed.input_schema))
    context.fetch_file = unreachable
    with pytest.raises(InputFileError):
        build_output(parsed.output_schema, context)


def test_undecodable_input_image_raises_media_error(cdn: FakeCdn):
    parsed = endpoint("fal-ai__image-editing__age-progression")
    context = cdn.context(parsed, example_input(parsed.input_schema))
    context.fetch_file = lambda url: b"this is not a picture"
    with pytest.raises(media.MediaError):
        build_output(parsed.output_schema, context)


def test_sync_mode_inlines_files_as_data_uris(cdn: FakeCdn):
    output = run(cdn, "fal-ai__flux__schnell", sync_mode=True, image_size="square")
    assert output["images"][0]["url"].startswith("data:image/jpeg;base64,")
    assert not cdn.stored


def test_realtime_raw_images_carry_base64_content(cdn: FakeCdn):
    output = run(cdn, "fal-ai__flux-2__klein__realtime")
    raw = output["images"][0]
    assert Image.open(io.BytesIO(base64.b64decode(raw["content"]))).size == (512, 512)


# -- other media and text -----------------------------------------------------------------
def test_speech_endpoint_speaks_and_reports_its_duration(cdn: FakeCdn):
    output = run(cdn, "fal-ai__minimax__speech-02-hd", text="Good morning, local emulator.")
    data = cdn.read(output["audio"]["url"])
    samples, rate = media.decode_audio(data)
    assert abs(output["duration_ms"] - len(samples) / rate * 1000) < 200


def test_music_duration_follows_the_request(cdn: FakeCdn):
    output = run(cdn, "fal-ai__mmaudio-v2__text-to-audio", duration=3)
    samples, rate = media.decode_audio(cdn.read(output["audio"]["url"]))
    assert 2.9 < len(samples) / rate < 3.2


def test_video_endpoint_makes_a_clip_of_the_requested_length(cdn: FakeCdn):
    output = run(cdn, "fal-ai__pixverse__v4.5__image-to-video", resolution="360p", duration="5")
    with av.open(io.BytesIO(cdn.read(output["video"]["url"]))) as container:
        stream = container.streams.video[0]
        assert (stream.codec_context.name, stream.height) == ("h264", 360)
        assert 4.9 < container.duration / 1_000_000 < 5.2


def test_llm_output_says_it_comes_from_the_emulator(cdn: FakeCdn):
    output = run(cdn, "openrouter__router", prompt="Write a haiku about tea.")
    assert "local fal emulator" in output["output"]
    assert "Write a haiku about tea." in output["output"]


def test_training_returns_a_loadable_safetensors_file(cdn: FakeCdn):
    output = run(cdn, "fal-ai__flux-lora-fast-training", trigger_word="TOK")
    data = cdn.read(output["diffusers_lora_file"]["url"])
    header_size = int.from_bytes(data[:8], "little")
    header = json.loads(data[8 : 8 + header_size])
    assert header["__metadata__"]["trigger_word"] == "TOK"
    assert header["__metadata__"]["training_files"] == "2"


# -- schemas beyond the bundled ones ------------------------------------------------------
FILE = {
    "type": "object",
    "properties": {
        "url": {"type": "string"},
        "content_type": {"type": "string"},
        "file_name": {"type": "string"},
        "file_size": {"type": "integer"},
    },
    "required": ["url"],
}
UNUSUAL_SCHEMAS: dict[str, tuple[str, dict[str, Any]]] = {
    "refs, allOf and oneOf": (
        "image",
        {
            "type": "object",
            "properties": {
                "result": {"allOf": [{"$ref": "#/$defs/Base"}, {"$ref": "#/$defs/Extra"}]},
                "score": {"oneOf": [{"type": "integer"}, {"type": "number"}]},
            },
            "required": ["result", "score"],
            "$defs": {
                "Base": {
                    "type": "object",
                    "properties": {"id": {"$ref": "#/$defs/Id"}},
                    "required": ["id"],
                },
                "Extra": {"properties": {"kind": {"const": "local"}}, "required": ["kind"]},
                "Id": {"type": "string", "format": "uuid", "minLength": 36},
            },
        },
    ),
    "bounds, enums and tuples": (
        "text",
        {
            "type": "object",
            "properties": {
                "ratio": {"type": "number", "exclusiveMinimum": 0.5, "maximum": 0.6},
                "steps": {"type": "integer", "minimum": 3, "multipleOf": 2},
                "mode": {"type": "string", "enum": ["fast", "slow"]},
                "box": {
                    "type": "array",
                    "prefixItems": [{"type": "integer"}, {"type": "string"}],
                    "minItems": 2,
                },
                "tags": {
                    "type": "array",
                    "items": {"type": "string", "minLength": 3},
                    "minItems": 2,
                },
                "meta": {
                    "type": "object",
                    "additionalProperties": {"type": "integer"},
                    "required": ["n"],
                    "minProperties": 2,
                },
                "nothing": {"type": "null"},
                "anything": {},
            },
            "required": ["ratio", "steps", "mode", "box", "tags", "meta", "nothing", "anything"],
        },
    ),
    "url strings and media files": (
        "3d",
        {
            "type": "object",
            "properties": {
                "images": {"type": "array", "items": {"type": "string"}, "minItems": 1},
                "video_url": {"type": "string"},
                "model_mesh": {"$ref": "#/$defs/File"},
                "video": {
                    "allOf": [{"$ref": "#/$defs/File"}],
                    "properties": {
                        "width": {"type": "integer"},
                        "fps": {"type": "integer"},
                        "num_frames": {"type": "integer"},
                        "duration": {"type": "number"},
                    },
                    "required": ["width", "fps", "num_frames", "duration"],
                },
                "audio_file": {"anyOf": [{"type": "null"}, {"$ref": "#/$defs/File"}]},
            },
            "required": ["images", "video_url", "model_mesh", "video", "audio_file"],
            "$defs": {"File": FILE},
        },
    ),
}


@pytest.mark.parametrize("case", list(UNUSUAL_SCHEMAS))
def test_unusual_schemas_still_get_valid_outputs(cdn: FakeCdn, case: str):
    category, schema = UNUSUAL_SCHEMAS[case]
    parsed = ParsedEndpoint("someone/unusual", category, "Unusual", "", {}, schema)
    data = {"prompt": "a small boat", "duration": 1, "resolution": "360p"}

    output = build_output(schema, cdn.context(parsed, data))

    validator_for(schema)(schema).validate(output)
    for described in file_objects(output):
        assert_decodes(cdn.read(described["url"]), cdn.stored[described["url"]][1], described)


def test_media_named_url_strings_point_at_real_files(cdn: FakeCdn):
    category, schema = UNUSUAL_SCHEMAS["url strings and media files"]
    parsed = ParsedEndpoint("someone/unusual", category, "Unusual", "", {}, schema)
    output = build_output(schema, cdn.context(parsed, {"prompt": "a boat", "duration": 1}))
    assert cdn.stored[output["images"][0]][1] == "image/jpeg"
    assert cdn.stored[output["video_url"]][1] == "video/mp4"
    assert cdn.read(output["model_mesh"]["url"])[:4] == b"glTF"
    assert output["video"]["num_frames"] == 24
