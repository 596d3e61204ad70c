from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from jsonschema import Draft202012Validator

from playground.catalog.importer import BUNDLED_DIR
from playground.catalog.models import Endpoint
from playground.catalog.openapi import SchemaDocumentError, parse_document

BUNDLED = sorted(BUNDLED_DIR.glob("*.json"))


def test_the_bundled_catalog_matches_the_shared_seed_schemas():
    shared = Path(__file__).resolve().parents[2].parent / "shared" / "fal-schemas"
    if shared.exists():  # beside a checkout; the project keeps its own copy either way
        assert {p.name for p in BUNDLED} == {p.name for p in shared.glob("*.json")}
    assert len(BUNDLED) >= 50


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.stem)
def test_every_bundled_document_parses_into_self_contained_schemas(path):
    parsed = parse_document(json.loads(path.read_text()))
    for schema in (parsed.input_schema, parsed.output_schema):
        Draft202012Validator.check_schema(schema)
        text = json.dumps(schema)
        assert "#/components/" not in text
        for name in _refs(schema):
            assert name in schema.get("$defs", {}), f"{name} unresolved in {parsed.endpoint_id}"


def _refs(node) -> set[str]:
    if isinstance(node, dict):
        found = {node["$ref"].rsplit("/", 1)[-1]} if "$ref" in node else set()
        return found.union(*(_refs(v) for v in node.values()))
    if isinstance(node, list):
        return set().union(*(_refs(v) for v in node)) if node else set()
    return set()


def test_real_fal_documents_get_component_refs_moved_into_defs():
    doc = json.loads((BUNDLED_DIR / "fal-ai__seedvr__upscale__image.real.json").read_text())
    parsed = parse_document(doc)
    assert parsed.endpoint_id == "fal-ai/seedvr/upscale/image"
    assert parsed.output_schema["properties"]["image"]["$ref"] == "#/$defs/ImageFile"
    assert "ImageFile" in parsed.output_schema["$defs"]
    assert "QueueStatus" not in parsed.output_schema["$defs"]


def test_documents_without_schemas_are_refused_clearly():
    with pytest.raises(SchemaDocumentError, match="endpoint id"):
        parse_document({"openapi": "3.0.4", "paths": {}})
    with pytest.raises(SchemaDocumentError, match="Input"):
        parse_document({"info": {"x-fal-metadata": {"endpointId": "a/b"}}, "components": {}})


@pytest.mark.django_db
def test_migrate_loads_the_bundled_catalog_with_modes():
    assert Endpoint.objects.count() == len(BUNDLED)
    flux = Endpoint.objects.get(endpoint_id="fal-ai/flux/dev")
    # Title, description and category come from the bundled listing (fal's model list).
    assert flux.category == "text-to-image"
    assert flux.title == "FLUX.1 [dev]"
    assert flux.description.startswith("A 12-billion-parameter text-to-image model")
    assert "queue" in flux.modes and "run" in flux.modes
    assert "realtime" in Endpoint.objects.get(endpoint_id="fal-ai/fast-lcm-diffusion").modes


@pytest.mark.django_db
def test_reimport_updates_in_place_and_reports_what_changed(tmp_path, capsys):
    doc = json.loads((BUNDLED_DIR / "fal-ai__flux__dev.json").read_text())
    doc["components"]["schemas"]["FluxDevInput"]["properties"]["num_images"]["maximum"] = 8
    (tmp_path / "flux.json").write_text(json.dumps(doc))
    before = Endpoint.objects.get(endpoint_id="fal-ai/flux/dev")
    call_command("import_schemas", str(tmp_path))
    after = Endpoint.objects.get(endpoint_id="fal-ai/flux/dev")
    out = capsys.readouterr().out
    assert after.pk == before.pk
    assert after.input_schema["properties"]["num_images"]["maximum"] == 8
    assert after.schema_sha != before.schema_sha
    assert "~ fal-ai/flux/dev (input_schema)" in out
    assert "0 created, 1 updated" in out
    call_command("import_schemas", str(tmp_path))
    assert "1 unchanged" in capsys.readouterr().out


@pytest.mark.django_db
def test_import_command_reports_bad_files_and_missing_paths(tmp_path, capsys):
    (tmp_path / "broken.json").write_text("{not json")
    with pytest.raises(CommandError, match="Nothing could be imported"):
        call_command("import_schemas", str(tmp_path / "broken.json"))
    assert "broken.json" in capsys.readouterr().err
    with pytest.raises(CommandError, match="No such file"):
        call_command("import_schemas", str(tmp_path / "missing.json"))
    with pytest.raises(CommandError, match="--bundled"):
        call_command("import_schemas")
