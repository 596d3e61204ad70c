from __future__ import annotations

import pytest
from django.contrib.auth.models import User

PASSWORD = "correct-horse-battery-42"


@pytest.fixture
def alice(db) -> User:
    return User.objects.create_user("alice", "alice@example.com", PASSWORD)
