"""Hostile-input tests run against the product as production runs it: daphne on a free
port, DEBUG off, no LOCALFAL_URL, no test-only emulator switches.

`hostile_app` lives for the session without its embedded runner: the live servers share
the test database, and a runner left running would claim (and run on its own emulator)
the generations other modules' tests make for their own servers. Tests that need
production's runner too use `production_app` (tests/conftest.py), one per module.
"""

from __future__ import annotations

import pytest

from tests.conftest import PRODUCTION_ENV, _live_server


@pytest.fixture(scope="session")
def hostile_app(django_db_setup, django_db_blocker, tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("hostile")
    env = {**PRODUCTION_ENV, "RUNNER_EMBEDDED": "0"}
    with _live_server(django_db_blocker, data_dir, name="hostile", **env) as server:
        yield server


@pytest.fixture(scope="session")
def live_app(hostile_app):
    """Here `live_app` is the production-like server too."""
    return hostile_app
