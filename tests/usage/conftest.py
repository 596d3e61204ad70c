from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from playground.gateway.requestlog import create_row


@pytest.fixture
def log():
    """Log a request as the gateway does (row and roll-up together): `log(user, ...)`,
    `days_ago` back from now."""

    def make(user, *, days_ago: int = 0, **fields):
        values = {
            "user_id": user.pk if user else None,
            "entrance": "proxy",
            "kind": "run",
            "endpoint_id": "fal-ai/flux/schnell",
            "method": "POST",
            "status": 200,
            "latency_ms": 800,
            "cost": Decimal("0.003"),
            "created": datetime.now(UTC) - timedelta(days=days_ago),
            **fields,
        }
        return create_row(**values)

    return make


@pytest.fixture
def emulator(live_app, settings):
    """The gateway of this test process forwards to a live server's emulator."""
    from playground.lib.memo import forget_everything

    settings.FAL_MODE = "local"
    settings.LOCALFAL_URL = live_app.localfal
    forget_everything()
    yield live_app
    forget_everything()
