"""System checks of the accounts app: stored fal keys need a real encryption key."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks


@checks.register(checks.Tags.security, deploy=True)
def field_encryption_key_is_set(
    app_configs: Any = None, **kwargs: Any
) -> list[checks.CheckMessage]:
    """Without FIELD_ENCRYPTION_KEY the stored fal keys are encrypted with a key derived
    from SECRET_KEY: one secret less to steal, and rotating SECRET_KEY loses them all."""
    if settings.FIELD_ENCRYPTION_KEY.strip():
        return []
    return [
        checks.Warning(
            "FIELD_ENCRYPTION_KEY is not set: stored fal keys are encrypted with a key derived "
            "from SECRET_KEY.",
            hint=(
                'Set FIELD_ENCRYPTION_KEY to a Fernet key (python -c "from cryptography.fernet '
                'import Fernet; print(Fernet.generate_key().decode())"), then run '
                "`manage.py rotate_keys`."
            ),
            id="accounts.W001",
        )
    ]
