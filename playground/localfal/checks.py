"""`manage.py check --deploy`: warn when the emulator faces the internet by accident."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Tags, Warning, register


@register(Tags.security, deploy=True)
def emulator_key_chosen(app_configs: Any = None, **kwargs: Any) -> list[Warning]:
    """The emulator answers anyone holding its key. With DEBUG off this is production: the
    operator should either use fal.ai (FAL_KEY) or choose the emulator's key on purpose."""
    if not settings.LOCALFAL_ENABLED or settings.DEBUG or settings.LOCALFAL_KEY_FROM_ENV:
        return []
    return [
        Warning(
            "The embedded fal emulator is on in production, with a key generated into "
            f"{settings.DATA_DIR / 'localfal_key'}.",
            hint=(
                "Set FAL_KEY to run models on fal.ai (the emulator then switches off), or set "
                "LOCALFAL_KEY (and keep it secret) to serve the emulator on purpose."
            ),
            id="localfal.W001",
        )
    ]
