"""The product's model groups, and how fal's raw categories map onto them.

fal labels endpoints with fine-grained categories ("text-to-image", "image-to-video",
"speech-to-text", ...) or, in older documents, coarse ones ("image", "audio", "text").
People browse by what a model is for, so the catalog shows nine groups plus "other".
The raw category decides first; words in the endpoint id refine it where fal's label is
too coarse (an "image" endpoint under `image-editing/` edits, an "audio" one named `tts`
speaks).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Group:
    slug: str
    label: str
    blurb: str


GROUPS: tuple[Group, ...] = (
    Group("image", "Image", "Text-to-image generation"),
    Group("editing", "Editing", "Edit, upscale and restyle images"),
    Group("video", "Video", "Text and image to video, lip sync"),
    Group("audio", "Audio", "Music, sound effects, audio tools"),
    Group("speech", "Speech", "Text-to-speech, transcription, voices"),
    Group("llm", "LLM", "Language models"),
    Group("vision", "Vision", "Models that describe images and video"),
    Group("3d", "3D", "Meshes and 3D assets"),
    Group("training", "Training", "Fine-tune LoRAs on your data"),
    Group("other", "Other", "Everything else"),
)
BY_SLUG = {group.slug: group for group in GROUPS}
OTHER = "other"

# fal's category names, old and new, with the group each belongs to.
CATEGORY_GROUPS = {
    "image": "image",
    "text-to-image": "image",
    "image-to-image": "editing",
    "video": "video",
    "text-to-video": "video",
    "image-to-video": "video",
    "video-to-video": "video",
    "audio-to-video": "video",
    "audio": "audio",
    "text-to-audio": "audio",
    "audio-to-audio": "audio",
    "video-to-audio": "audio",
    "music": "audio",
    "speech": "speech",
    "text-to-speech": "speech",
    "speech-to-text": "speech",
    "speech-to-speech": "speech",
    "audio-to-text": "speech",
    "text": "llm",
    "llm": "llm",
    "text-to-text": "llm",
    "vision": "vision",
    "image-to-text": "vision",
    "video-to-text": "vision",
    "3d": "3d",
    "text-to-3d": "3d",
    "image-to-3d": "3d",
    "3d-to-3d": "3d",
    "training": "training",
}
# For "<input>-to-<output>" names fal may add later, the output decides.
OUTPUT_GROUPS = {
    "image": "image",
    "video": "video",
    "audio": "audio",
    "music": "audio",
    "speech": "speech",
    "3d": "3d",
    "mesh": "3d",
    "text": "llm",
    "json": "llm",
}

TRAINING_HINTS = ("training", "trainer", "/train", "-train")
EDITING_HINTS = (
    "image-editing",
    "/edit",
    "-edit",
    "edit-",
    "upscale",
    "kontext",
    "reframe",
    "inpaint",
    "outpaint",
    "background-removal",
    "remove-background",
    "rembg",
    "birefnet",
    "relight",
    "retouch",
    "face-swap",
)
SPEECH_HINTS = ("tts", "speech", "voice", "whisper", "wizper", "transcri", "speak")
VISION_HINTS = ("vision", "caption", "florence", "moondream", "llava")
LLM_HINTS = ("openrouter/", "any-llm", "llm")


def group_for(endpoint_id: str, category: str) -> str:
    """The product group of an endpoint, from fal's category and hints in its id."""
    endpoint = endpoint_id.lower()
    base = _group_of_category(category.strip().lower())
    if _has(endpoint, TRAINING_HINTS) or base == "training":
        return "training"
    if base == "image" and _has(endpoint, EDITING_HINTS) and "text-to-image" not in endpoint:
        return "editing"
    if base in ("audio", "llm", "speech", OTHER) and _has(endpoint, SPEECH_HINTS):
        return "speech"
    if base in ("llm", "image", "vision", OTHER) and _has(endpoint, VISION_HINTS):
        return "vision"
    if base == OTHER and _has(endpoint, LLM_HINTS):
        return "llm"
    return base


def _group_of_category(category: str) -> str:
    if category in CATEGORY_GROUPS:
        return CATEGORY_GROUPS[category]
    source, _, output = category.partition("-to-")
    if output:
        if output == "text" and source in ("speech", "audio"):
            return "speech"
        if output == "text" and source in ("image", "video"):
            return "vision"
        if output == "image" and source == "image":
            return "editing"
        return OUTPUT_GROUPS.get(output, OTHER)
    return OTHER


def _has(endpoint: str, hints: tuple[str, ...]) -> bool:
    return any(hint in endpoint for hint in hints)


# Words people search with for each group, beyond what the models' own texts say:
# "text to speech" or "tts" finds the speech models, "upscale" the editing ones.
GROUP_WORDS = {
    "image": "text to image picture photo illustration art generate t2i",
    "editing": "image to image edit editing inpaint upscale upscaler restore retouch i2i",
    "video": "text to video image to video animate animation clip movie lip sync t2v i2v",
    "audio": "music song sound effects sfx text to audio",
    "speech": "text to speech tts voice speak talk narration speech to text stt "
    "transcribe transcription",
    "llm": "llm language model chat text generation gpt assistant",
    "vision": "vision image to text caption describe vlm",
    "3d": "3d mesh model object asset",
    "training": "training train fine tune finetune lora trainer",
    "other": "",
}


def label_for(slug: str) -> str:
    return BY_SLUG.get(slug, BY_SLUG[OTHER]).label


def category_label(category: str) -> str:
    """'image-to-video' -> 'Image to video', for a card without a description."""
    words = category.replace("_", "-").split("-")
    words = [SPECIAL_WORDS.get(word.lower(), word.lower()) for word in words if word]
    if not words:
        return "Model"
    return " ".join([words[0][:1].upper() + words[0][1:], *words[1:]])


SPECIAL_WORDS = {"3d": "3D", "llm": "LLM", "tts": "TTS", "json": "JSON"}
