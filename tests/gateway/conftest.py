from __future__ import annotations

import pytest

from playground.gateway import tokens
from playground.lib.memo import forget_everything


@pytest.fixture(autouse=True)
def fresh_memory():
    """Tests that let the gateway remember (GATEWAY_CACHE_SECONDS > 0) leave nothing behind:
    user ids repeat from test to test."""
    forget_everything()
    yield
    forget_everything()


@pytest.fixture
def emulator(live_app, settings):
    """The gateway of this test process forwards to a live server's emulator."""
    settings.FAL_MODE = "local"
    settings.LOCALFAL_URL = live_app.localfal
    return live_app


@pytest.fixture
def alice_token(alice) -> str:
    return tokens.mint(alice, label="alice's app").secret


@pytest.fixture
def charlie_token(charlie) -> str:
    return tokens.mint(charlie, label="charlie's app").secret


def auth(secret: str, scheme: str = "Key") -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"{scheme} {secret}"}


def target(url: str) -> dict[str, str]:
    return {"HTTP_X_FAL_TARGET_URL": url}
