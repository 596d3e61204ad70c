"""Input schemas shaped like fal models outside the bundled catalog that tripped the form:
optional objects with required members, nullable lists with minItems, an integer with a
float default, optional fields whose null or "" differs from their default."""

from __future__ import annotations

from typing import Any

# stable-diffusion-v35-large: optional ControlNet and IP-Adapter, each with required members.
SD35 = {
    "type": "object",
    "required": ["prompt"],
    "x-fal-order-properties": ["image_size", "prompt", "controlnet", "ip_adapter", "sync_mode"],
    "properties": {
        "image_size": {"enum": ["square", "landscape_4_3"], "default": "landscape_4_3"},
        "prompt": {"type": "string", "examples": ["A dreamy castle on a cloud"]},
        "controlnet": {"allOf": [{"$ref": "#/$defs/ControlNet"}], "title": "ControlNet"},
        "ip_adapter": {
            "anyOf": [{"$ref": "#/$defs/IPAdapter"}, {"type": "null"}],
            "title": "Ip Adapter",
        },
        "sync_mode": {"type": "boolean", "default": False},
    },
    "$defs": {
        "ControlNet": {
            "type": "object",
            "required": ["path", "control_image_url"],
            "properties": {
                "path": {"type": "string", "examples": ["https://example.com/cn.safetensors"]},
                "control_image_url": {"type": "string", "title": "Control Image Url"},
                "conditioning_scale": {"type": "number", "default": 1, "maximum": 2},
                "end_percentage": {"type": "number", "default": 1, "minimum": 0, "maximum": 1},
            },
        },
        "IPAdapter": {
            "type": "object",
            "required": ["ip_adapter_image_url", "path"],
            "properties": {
                "ip_adapter_image_url": {"type": "string"},
                "path": {"type": "string"},
                "scale": {"type": "number", "default": 1},
                "use_mask": {"type": "boolean", "default": False},
            },
        },
    },
}

# A composition plan, relight parameters, a structured prompt: nested optional objects.
NESTED = {
    "type": "object",
    "required": ["prompt"],
    "properties": {
        "prompt": {"type": "string"},
        "composition_plan": {
            "type": "object",
            "required": ["layout"],
            "properties": {
                "layout": {"type": "string"},
                "relight_parameters": {
                    "type": "object",
                    "required": ["direction"],
                    "properties": {"direction": {"enum": ["left", "right"]}},
                },
            },
        },
        "structured_prompt": {
            "anyOf": [
                {
                    "type": "object",
                    "properties": {"subject": {"type": "string"}, "style": {"type": "string"}},
                    "required": ["subject"],
                },
                {"type": "null"},
            ],
            "default": None,
        },
        # Required but nullable: absent is sent as null.
        "goal_force": {
            "anyOf": [
                {
                    "type": "object",
                    "required": ["x", "y"],
                    "properties": {"x": {"type": "number"}, "y": {"type": "number"}},
                },
                {"type": "null"},
            ]
        },
    },
}
NESTED["required"].append("goal_force")

# A dialogue model: speakers is a nullable list of objects with minItems.
SPEAKERS = {
    "type": "object",
    "required": ["script"],
    "properties": {
        "script": {"type": "string"},
        "speakers": {
            "anyOf": [
                {
                    "type": "array",
                    "minItems": 2,
                    "maxItems": 4,
                    "items": {
                        "type": "object",
                        "required": ["preset"],
                        "properties": {
                            "preset": {"enum": ["Alice", "Frank"]},
                            "audio_url": {"type": "string"},
                        },
                    },
                },
                {"type": "null"},
            ],
            "default": None,
        },
    },
}

# flowedit: an integer whose default is a float (an upstream slip).
FLOWEDIT = {
    "type": "object",
    "required": ["image_url"],
    "properties": {
        "image_url": {"type": "string"},
        "src_guidance_scale": {"type": "integer", "default": 1.5, "minimum": 0, "maximum": 30},
        "num_inference_steps": {"type": "integer", "default": 28.0, "minimum": 1},
    },
}

# Optional fields whose default is a value: null and "" must be sendable too.
BLANKS = {
    "type": "object",
    "required": ["prompt"],
    "properties": {
        "prompt": {"type": "string"},
        "negative_prompt": {"type": "string", "default": "blurry, low quality"},
        "guidance": {"anyOf": [{"type": "number"}, {"type": "null"}], "default": 3.5},
        "voice": {"anyOf": [{"enum": ["calm", "bright"]}, {"type": "null"}], "default": "calm"},
    },
}

UNSEEN: dict[str, dict[str, Any]] = {
    "sd35": SD35,
    "nested": NESTED,
    "speakers": SPEAKERS,
    "flowedit": FLOWEDIT,
    "blanks": BLANKS,
}
