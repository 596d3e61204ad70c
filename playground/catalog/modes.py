"""Which ways of running (queue, run, stream, realtime) an endpoint supports.

fal schemas rarely say so: every endpoint takes queue and run; streaming and realtime come
from schema hints (`x-fal-protocol`, `/stream` or `/realtime` paths in the document) and a
small curated table of known endpoints.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

REALTIME_ENDPOINTS = {
    "fal-ai/lcm-sd15-i2i",
    "fal-ai/fast-lcm-diffusion",
    "fal-ai/flux-2/klein/realtime",
    "fal-ai/fast-turbo-diffusion",
    "fal-ai/fast-lightning-sdxl",
}
STREAMING_ENDPOINTS = {
    "openrouter/router",
    "openrouter/router/vision",
    "fal-ai/flux/schnell",
    "fal-ai/flux/dev",
    "fal-ai/any-llm",
    "fal-ai/any-llm/vision",
}
# Language-model routers stream tokens; every endpoint under them does.
STREAMING_PREFIXES = ("openrouter/router/",)


def modes_for(
    endpoint_id: str,
    input_schema: dict[str, Any],
    metadata: dict[str, Any],
    *,
    paths: Iterable[str] = (),
) -> list:
    modes = ["queue", "run"]
    protocol = str(input_schema.get("x-fal-protocol") or metadata.get("x-fal-protocol") or "")
    suffixes = {path.rstrip("/").rsplit("/", 1)[-1] for path in paths}
    if (
        endpoint_id in STREAMING_ENDPOINTS
        or endpoint_id.startswith(STREAMING_PREFIXES)
        or "stream" in protocol
        or "stream" in suffixes
    ):
        modes.append("stream")
    if (
        endpoint_id in REALTIME_ENDPOINTS
        or "websocket" in protocol
        or "realtime" in endpoint_id
        or "realtime" in suffixes
    ):
        modes.append("realtime")
    return modes
