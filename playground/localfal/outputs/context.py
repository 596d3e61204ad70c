"""What the output builder gets from the emulator's worker: the request and three callbacks."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


class InputFileError(Exception):
    """An input file URL could not be fetched; `fetch_file` raises it and it propagates."""


@dataclass
class OutputContext:
    endpoint_id: str
    category: str  # free-form fal metadata: image, video, audio, speech, llm, training, 3d...
    input: dict[str, Any]  # the validated request input
    seed: int  # the input's seed, or one derived from the input
    store_file: Callable[[bytes, str, str], str]  # (data, content_type, file_name) -> public URL
    fetch_file: Callable[[str], bytes]  # url -> bytes; raises InputFileError
    log: Callable[[str], None]  # one log line, e.g. "step 3/28"
    made: list[Any] = field(default_factory=list)  # every file made (makers.Made), in order
