"""Helpers shared by the contract tests of every client."""

from __future__ import annotations

import httpx

APP = "fal-ai/flux/schnell"


def probe_submit(live_app, fault: str) -> int:
    """Status of a submit carrying `fault` and a malformed body: 422 once its injected
    failures are spent, so a test can tell its client really received them."""
    response = httpx.post(
        f"{live_app.localfal}/queue/{APP}",
        content=b"{",
        headers={
            "Authorization": "Key local:test",
            "Content-Type": "application/json",
            "X-Localfal-Fault": fault,
        },
        timeout=10,
    )
    return response.status_code
