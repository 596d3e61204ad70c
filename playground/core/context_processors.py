"""Template context shared by every page."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest

BACKEND_LABELS = {"fal": "fal.ai", "local": "Local emulator"}


def backend(request: HttpRequest) -> dict[str, str]:
    """Which fal backend answers runs: the real fal.ai or the embedded emulator."""
    mode = "fal" if settings.FAL_MODE == "fal" else "local"
    return {"fal_backend": mode, "fal_backend_label": BACKEND_LABELS[mode]}
