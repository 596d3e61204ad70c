"""Where each part of an input value came from in the form.

jsonschema reports where in the *value* something is wrong ("loras.1.scale"); the form
needs the *input* that holds it ("loras.2.scale" when row 1 was posted as row 2,
"image_size:0.width" inside a union branch). Encoding and decoding fill a Trace.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Trace:
    """Value path -> field path, for every value the form produced."""

    names: dict[str, str] = field(default_factory=lambda: {"": ""})
    inner: dict[str, str] = field(default_factory=dict)  # union value -> its branch's path
    branches: dict[str, int] = field(default_factory=dict)  # union value -> branch index
