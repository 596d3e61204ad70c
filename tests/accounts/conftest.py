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


@pytest.fixture
def join_team(team, django_user_model):
    """Make a user with a role in alice's team: join_team("bob", "member")."""
    from playground.accounts.models import Membership

    def make(username: str, role: str):
        user = django_user_model.objects.create_user(username, password=PASSWORD)
        Membership.objects.create(user=user, team=team, role=role)
        return user

    return make


@pytest.fixture
def bob(join_team):
    """On alice's team as a member."""
    return join_team("bob", "member")
