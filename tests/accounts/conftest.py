from __future__ import annotations

import pytest
from django.contrib.auth.models import User

PASSWORD = "correct-horse-battery-42"
NEW_PASSWORD = "purple-otter-lantern-77"


@pytest.fixture
def alice(db) -> User:
    return User.objects.create_user("alice", "alice@example.com", PASSWORD)


def signup_data(**overrides: str) -> dict[str, str]:
    return {
        "username": "dora",
        "email": "",
        "password1": PASSWORD,
        "password2": PASSWORD,
        **overrides,
    }
