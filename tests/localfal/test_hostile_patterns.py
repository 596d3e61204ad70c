"""The emulator checks inputs against imported schemas off its event loop, with patterns
bounded (S12): a catastrophic pattern answers 422 at once instead of hanging."""

from __future__ import annotations

import json

import pytest
from django.conf import settings

from tests.catalog.patterns import HOSTILE, endpoint_with_pattern

pytestmark = [pytest.mark.django_db, pytest.mark.timeout(60, method="thread")]


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

    await sync_to_async(endpoint_with_pattern)(
        "test/slow-pattern", r"^(a|aa)+$", required=("prompt",)
    )

    response = await run(async_client, "test/slow-pattern", {"prompt": "x", "code": HOSTILE})

    assert response.status_code == 422
    (problem,) = response.json()["detail"]
    assert problem["loc"] == ["body", "code"]
    assert "took too long" in problem["msg"]


@pytest.mark.django_db(transaction=True)
async def test_a_nested_quantifier_is_skipped(async_client):
    from asgiref.sync import sync_to_async

    await sync_to_async(endpoint_with_pattern)(
        "test/nested-pattern", r"^(a+)+$", required=("prompt",)
    )

    # No prompt: the only complaint must be that, not the pattern (and no hang).
    response = await run(async_client, "test/nested-pattern", {"code": HOSTILE})

    assert response.status_code == 422
    assert response.json()["detail"] == [
        {"loc": ["body", "prompt"], "msg": "Field required", "type": "missing"}
    ]
