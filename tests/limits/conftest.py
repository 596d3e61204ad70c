from __future__ import annotations

import pytest

from playground.gateway.memo import forget_everything
from playground.limits import counter


@pytest.fixture
def rate_limits(settings):
    """Limits on (the suite runs with them off), small enough to reach, counts empty."""
    settings.RATE_LIMITS_ENABLED = True
    settings.RATE_LIMIT_ANONYMOUS = 1
    settings.RATE_LIMIT_SIGNED_IN = 2
    settings.RATE_LIMIT_PRO = 5
    forget_everything()
    counter.reset()
    yield settings
    counter.reset()
    forget_everything()
