"""Hostile-input tests run against the product as production runs it: daphne on a free
port, DEBUG off, no LOCALFAL_URL, the embedded runner on, no test-only emulator switches."""

from __future__ import annotations

import pytest

from tests.conftest import _live_server

PRODUCTION_ENV = {
    "DEBUG": "0",
    "RUNNER_EMBEDDED": "1",
    "LOCALFAL_SPEED": "0.01",
    "LOCALFAL_FAULTS_ALLOWED": "0",
    "LOCALFAL_INSPECT": "0",
}


@pytest.fixture(scope="session")
def hostile_app(django_db_setup, django_db_blocker, tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("hostile")
    with _live_server(django_db_blocker, data_dir, name="hostile", **PRODUCTION_ENV) as server:
        yield server


@pytest.fixture(scope="session")
def live_app(hostile_app):
    """Here `live_app` is the production-like server too."""
    return hostile_app
