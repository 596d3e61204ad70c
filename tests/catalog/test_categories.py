from __future__ import annotations

import json

import pytest

from playground.catalog.categories import BY_SLUG, GROUPS, category_label, group_for
from playground.catalog.importer import BUNDLED_DIR, bundled_listing
from playground.catalog.models import Endpoint
from playground.catalog.openapi import parse_document

# Every bundled endpoint, with the group a person browsing would look for it in.
EXPECTED = {
    "fal-ai/ai-avatar": "video",
    "fal-ai/ai-avatar/multi": "video",
    "fal-ai/bytedance/seedance/v1/pro/image-to-video": "video",
    "fal-ai/bytedance/seedream/v4/edit": "editing",
    "fal-ai/clarity-upscaler": "editing",
    "fal-ai/diffrhythm": "audio",
    "fal-ai/elevenlabs/audio-isolation": "audio",
    "fal-ai/elevenlabs/tts/multilingual-v2": "speech",
    "fal-ai/fast-lcm-diffusion": "image",
    "fal-ai/fast-sdxl": "image",
    "fal-ai/flux-2/klein/9b/edit": "editing",
    "fal-ai/flux-2/klein/realtime": "image",
    "fal-ai/flux-kontext/dev": "editing",
    "fal-ai/flux-lora-fast-training": "training",
    "fal-ai/flux-lora-portrait-trainer": "training",
    "fal-ai/flux-pro/kontext/max": "editing",
    "fal-ai/flux-pro/v1.1-ultra": "image",
    "fal-ai/flux-pro/v1.1": "image",
    "fal-ai/flux/dev": "image",
    "fal-ai/flux/schnell": "image",
    "fal-ai/hidream-i1-fast": "image",
    "fal-ai/ideogram/v3": "image",
    "fal-ai/ideogram/v3/reframe": "editing",
    "fal-ai/image-editing/age-progression": "editing",
    "fal-ai/image-editing/background-change": "editing",
    "fal-ai/image-editing/cartoonify": "editing",
    "fal-ai/image-editing/color-correction": "editing",
    "fal-ai/image-editing/face-enhancement": "editing",
    "fal-ai/image-editing/hair-change": "editing",
    "fal-ai/image-editing/object-removal": "editing",
    "fal-ai/image-editing/professional-photo": "editing",
    "fal-ai/image-editing/style-transfer": "editing",
    "fal-ai/image-editing/text-removal": "editing",
    "fal-ai/imagen4/preview/ultra": "image",
    "fal-ai/kling-video/lipsync/audio-to-video": "video",
    "fal-ai/kling-video/v2.1/master/image-to-video": "video",
    "fal-ai/lcm-sd15-i2i": "editing",
    "fal-ai/lyria2": "audio",
    "fal-ai/minimax/hailuo-02/pro/image-to-video": "video",
    "fal-ai/minimax/speech-02-hd": "speech",
    "fal-ai/minimax/voice-clone": "speech",
    "fal-ai/mmaudio-v2/text-to-audio": "audio",
    "fal-ai/omnigen-v2": "image",
    "fal-ai/pixverse/v4.5/image-to-video": "video",
    "fal-ai/recraft/v3/text-to-image": "image",
    "fal-ai/sana/sprint": "image",
    "fal-ai/seedvr/upscale/image": "editing",
    "fal-ai/sync-lipsync/v2": "video",
    "fal-ai/veo3": "video",
    "fal-ai/wizper": "speech",
    "openrouter/router": "llm",
    "openrouter/router/vision": "vision",
    "resemble-ai/chatterboxhd/speech-to-speech": "speech",
}


def bundled_documents():
    for path in sorted(BUNDLED_DIR.glob("*.json")):
        yield parse_document(json.loads(path.read_text()))


def test_every_bundled_endpoint_lands_in_the_group_people_expect():
    # The category an import uses: fal's model list (bundled_models.json) over the document.
    listing = bundled_listing()
    found = {
        doc.endpoint_id: group_for(doc.endpoint_id, listing[doc.endpoint_id]["category"])
        for doc in bundled_documents()
    }
    assert found == EXPECTED


@pytest.mark.django_db
def test_the_import_stores_the_group_on_each_endpoint():
    stored = dict(Endpoint.objects.values_list("endpoint_id", "group"))
    assert stored == EXPECTED


@pytest.mark.parametrize(
    ("endpoint_id", "category", "group"),
    [
        ("fal-ai/flux/dev", "text-to-image", "image"),
        ("fal-ai/flux/dev/image-to-image", "image-to-image", "editing"),
        ("fal-ai/flux-pro/kontext/text-to-image", "text-to-image", "image"),
        ("fal-ai/qwen-image-edit", "image-to-image", "editing"),
        ("fal-ai/kling-video/v2/master/text-to-video", "text-to-video", "video"),
        ("fal-ai/video-upscaler", "video-to-video", "video"),
        ("fal-ai/stable-audio", "text-to-audio", "audio"),
        ("fal-ai/kokoro/american-english", "text-to-speech", "speech"),
        ("fal-ai/whisper", "speech-to-text", "speech"),
        ("fal-ai/any-llm", "llm", "llm"),
        ("fal-ai/any-llm/vision", "llm", "vision"),
        ("fal-ai/florence-2-large/caption", "image-to-text", "vision"),
        ("fal-ai/hunyuan3d/v2", "image-to-3d", "3d"),
        ("fal-ai/trellis", "3d", "3d"),
        ("fal-ai/hunyuan-video-lora-training", "training", "training"),
        ("fal-ai/some-new-thing", "text-to-mesh", "3d"),
        ("fal-ai/some-new-thing", "audio-to-text", "speech"),
        ("fal-ai/some-new-thing", "video-to-text", "vision"),
        ("fal-ai/some-new-thing", "", "other"),
        ("fal-ai/some-new-thing", "json", "other"),
        ("someone/tts-model", "", "speech"),
    ],
)
def test_raw_categories_and_id_hints_map_to_product_groups(endpoint_id, category, group):
    assert group_for(endpoint_id, category) == group


def test_groups_are_the_nine_product_groups_plus_other():
    assert [g.slug for g in GROUPS] == [
        "image",
        "editing",
        "video",
        "audio",
        "speech",
        "llm",
        "vision",
        "3d",
        "training",
        "other",
    ]
    assert BY_SLUG["llm"].label == "LLM"
    assert BY_SLUG["3d"].label == "3D"


def test_category_labels_read_as_words():
    assert category_label("image-to-video") == "Image to video"
    assert category_label("image-to-3d") == "Image to 3D"
    assert category_label("llm") == "LLM"
    assert category_label("") == "Model"
