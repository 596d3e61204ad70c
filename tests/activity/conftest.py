from __future__ import annotations

import pytest

from playground.accounts.models import Membership, Role


@pytest.fixture
def join_team(team, django_user_model):
    """A user with a role in alice's team: join_team("ada", "admin")."""

    def make(username: str, role: str):
        user = django_user_model.objects.create_user(username, password=f"pw-{username}-12345")
        Membership.objects.create(user=user, team=team, role=role)
        return user

    return make


@pytest.fixture
def ada(join_team):
    """An admin of alice's team."""
    return join_team("ada", Role.ADMIN)


@pytest.fixture
def bob(join_team):
    """A member of alice's team."""
    return join_team("bob", Role.MEMBER)


@pytest.fixture
def vic(join_team):
    """A viewer of alice's team."""
    return join_team("vic", Role.VIEWER)


@pytest.fixture
def as_user(client):
    def log_in(user):
        client.force_login(user)
        return client

    return log_in
