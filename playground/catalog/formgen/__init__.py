"""Forms generated from fal input schemas.

- `build_form(schema)`: the FieldSpec tree templates render (spec.py holds the naming
  contract every posted name follows);
- `decode(schema, posted)`: posted form data -> `Decoded(input, errors)`, input being
  exactly what is sent to fal, errors keyed by field path; never raises;
- `encode(schema, value)`: the inverse, to prefill a form from an input;
- `validate(schema, value)`: jsonschema errors keyed by field path;
- `example_input(schema)`: defaults plus examples of required fields.
"""

from __future__ import annotations

from .build import build_form
from .decode import Decoded, decode
from .encode import encode
from .examples import example_input
from .spec import Branch, Choice, FieldSpec, FormSpec
from .validate import ROOT, validate

__all__ = [
    "ROOT",
    "Branch",
    "Choice",
    "Decoded",
    "FieldSpec",
    "FormSpec",
    "build_form",
    "decode",
    "encode",
    "example_input",
    "validate",
]
