"""System check of demo mode: visitors' runs need a key the server may lend."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks


@checks.register()
def demo_runs_have_a_key(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """In fal mode a visitor's run uses the server's FAL_KEY (accounts/credentials.py):
    without one it could lend, every demo run would fail asking for a key."""
    if not settings.DEMO_MODE or settings.FAL_MODE == "local":
        return []
    if settings.FAL_KEY and settings.SERVER_KEY_FALLBACK:
        return []
    return [
        checks.Warning(
            "DEMO_MODE is on, but there is no server fal key to run visitors' models with.",
            hint="Set FAL_KEY and leave SERVER_KEY_FALLBACK on, or turn DEMO_MODE off.",
            id="demo.W001",
        )
    ]
