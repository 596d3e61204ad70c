"""Which ways of running (queue, run, stream, realtime) an endpoint supports.

fal schemas rarely say so: every endpoint takes queue and run; streaming and realtime come
from schema hints (`x-fal-protocol`) and a small curated table of known endpoints.
"""

from __future__ import annotations

from typing import Any

REALTIME_ENDPOINTS = {
    "fal-ai/lcm-sd15-i2i",
    "fal-ai/fast-lcm-diffusion",
    "fal-ai/flux-2/klein/realtime",
}
STREAMING_ENDPOINTS = {
    "openrouter/router",
    "openrouter/router/vision",
    "fal-ai/flux/schnell",
    "fal-ai/flux/dev",
}


def modes_for(endpoint_id: str, input_schema: dict[str, Any], metadata: dict[str, Any]) -> list:
    modes = ["queue", "run"]
    protocol = str(input_schema.get("x-fal-protocol") or metadata.get("x-fal-protocol") or "")
    if endpoint_id in STREAMING_ENDPOINTS or "stream" in protocol:
        modes.append("stream")
    if endpoint_id in REALTIME_ENDPOINTS or "websocket" in protocol or "realtime" in endpoint_id:
        modes.append("realtime")
    return modes
