from __future__ import annotations

import pytest

from playground.fal.endpoints import EndpointId, InvalidEndpointId


@pytest.mark.parametrize(
    ("raw", "full", "app"),
    [
        ("fal-ai/flux/dev", "fal-ai/flux/dev", "fal-ai/flux"),
        ("fal-ai/fast-sdxl", "fal-ai/fast-sdxl", "fal-ai/fast-sdxl"),
        ("fal-ai/flux-pro/v1.1-ultra", "fal-ai/flux-pro/v1.1-ultra", "fal-ai/flux-pro"),
        ("workflows/me/my-flow/run", "workflows/me/my-flow/run", "workflows/me/my-flow"),
        ("12345-myapp", "12345/myapp", "12345/myapp"),
    ],
)
def test_endpoint_ids_split_like_the_official_clients(raw, full, app):
    endpoint = EndpointId.parse(raw)
    assert endpoint.full == full
    assert endpoint.app == app


@pytest.mark.parametrize("raw", ["flux", "", "fal-ai/", "../etc/passwd", "a/b c"])
def test_invalid_endpoint_ids_are_refused(raw):
    with pytest.raises(InvalidEndpointId):
        EndpointId.parse(raw)
