"""The emulator checks inputs against imported schemas off its event loop, with patterns
bounded (S12): a catastrophic pattern answers 422 at once instead of hanging."""

from __future__ import annotations

import json

import pytest
from django.conf import settings

from playground.catalog.models import Endpoint

pytestmark = [pytest.mark.django_db, pytest.mark.timeout(60, method="thread")]
HOSTILE = "a" * 40 + "!"


def endpoint_with_pattern(endpoint_id: str, pattern: str) -> Endpoint:
    schema = {
        "type": "object",
        "properties": {
            "prompt": {"type": "string"},
            "code": {"type": "string", "pattern": pattern},
        },
        "required": ["prompt"],
    }
    return Endpoint.objects.create(
        endpoint_id=endpoint_id,
        title="Patterns",
        category="llm",
        input_schema=schema,
        output_schema={"type": "object", "properties": {"output": {"type": "string"}}},
        schema_sha="0" * 64,
        modes=["queue", "run"],
    )


async def run(async_client, endpoint_id: str, data: dict):
    return await async_client.post(
        f"/localfal/run/{endpoint_id}",
        json.dumps(data),
        content_type="application/json",
        headers={"Authorization": f"Key {settings.LOCALFAL_KEY}"},
    )


@pytest.mark.django_db(transaction=True)
async def test_a_match_that_takes_too_long_answers_422_with_its_field(async_client):
    from asgiref.sync import sync_to_async

    await sync_to_async(endpoint_with_pattern)("test/slow-pattern", r"^(a|aa)+$")

    response = await run(async_client, "test/slow-pattern", {"prompt": "x", "code": HOSTILE})

    assert response.status_code == 422
    (problem,) = response.json()["detail"]
    assert problem["loc"] == ["body", "code"]
    assert "took too long" in problem["msg"]


@pytest.mark.django_db(transaction=True)
async def test_a_nested_quantifier_is_skipped(async_client):
    from asgiref.sync import sync_to_async

    await sync_to_async(endpoint_with_pattern)("test/nested-pattern", r"^(a+)+$")

    # No prompt: the only complaint must be that, not the pattern (and no hang).
    response = await run(async_client, "test/nested-pattern", {"code": HOSTILE})

    assert response.status_code == 422
    assert response.json()["detail"] == [
        {"loc": ["body", "prompt"], "msg": "Field required", "type": "missing"}
    ]
