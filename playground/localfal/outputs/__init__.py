"""Output JSON for any endpoint, built from its output JSON Schema with real media files.

build_output(output_schema, OutputContext(...)) -> dict valid against output_schema
"""

from playground.localfal.outputs.builder import build_output
from playground.localfal.outputs.context import InputFileError, OutputContext

__all__ = ["InputFileError", "OutputContext", "build_output"]
