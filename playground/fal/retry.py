"""When and how long to wait before trying a fal call again.

Mirrors the official clients (fal-protocol.md §11.2, §12): transport errors, 408, 409, 429
and ingress 5xx are retried with jittered exponential backoff. A submit is different: it
creates work, so it is retried only when fal certainly did not take it (the connection
never opened, 429, or an ingress error that never reached a fal app).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from playground.fal.errors import (
    FalConnectionError,
    FalError,
    FalHTTPError,
    FalServerError,
    FalTimeoutError,
)

RETRYABLE_STATUS = {408, 409, 429}
GATEWAY_STATUS = {502, 503, 504}


@dataclass(frozen=True)
class RetryPolicy:
    max_retries: int = 5
    base_delay: float = 0.25
    max_delay: float = 10.0
    jitter: float = 0.25

    def delay(self, attempt: int) -> float:
        """Seconds to wait before retry number `attempt` (1-based), +/- jitter."""
        raw = min(self.max_delay, self.base_delay * (2 ** (attempt - 1)))
        return max(0.0, raw * (1 + random.uniform(-self.jitter, self.jitter)))

    def should_retry(self, error: FalError, attempt: int, *, idempotent: bool) -> bool:
        if attempt > self.max_retries:
            return False
        return is_retryable(error, idempotent=idempotent)


def is_retryable(error: FalError, *, idempotent: bool) -> bool:
    if isinstance(error, FalConnectionError):
        # A submit may only be replayed if the request never left this machine.
        return idempotent or getattr(error, "never_sent", False)
    if isinstance(error, FalTimeoutError):
        return idempotent
    if not isinstance(error, FalHTTPError):
        return False
    if isinstance(error, FalServerError) and error.is_user_timeout:
        return False  # the caller's own start timeout expired: retrying cannot help
    if error.status_code in RETRYABLE_STATUS:
        return True
    if error.status_code in GATEWAY_STATUS:
        return isinstance(error, FalServerError) and (error.is_ingress or idempotent)
    return False


NO_RETRY = RetryPolicy(max_retries=0)
