"""Fault injection for tests: make chosen emulator calls fail, hang or drop.

Rules come from settings.LOCALFAL_FAULTS and from the `X-Localfal-Fault` request header,
in one grammar: comma-separated `route:action[*count]`.

    submit:503*2        the first two submits answer an ingress-style 503
    status:500          every status call answers 500 (fal app error body)
    stream:drop         status streams close after their first event
    result:slow=1.5     results answer after 1.5 s
    run:429*1           the first sync run is rate limited
    app:fail            the model itself fails: the request ends COMPLETED with an error

Routes: submit, status, stream, result, cancel, run, upload, token, app, any. Counts are
kept per distinct rule text, so a test can make its header unique (`key=<anything>` is a
rule that does nothing) to get its own counter.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

ROUTES = {"submit", "status", "stream", "result", "cancel", "run", "upload", "token", "app"}
HEADER = "x-localfal-fault"


class FaultSyntaxError(ValueError):
    pass


@dataclass(frozen=True)
class Fault:
    route: str
    action: str  # an HTTP status ("503"), "drop", "fail" or "slow"
    seconds: float = 0.0
    count: int | None = None  # None: every time

    @property
    def status_code(self) -> int | None:
        return int(self.action) if self.action.isdigit() else None


def parse(text: str) -> list[Fault]:
    faults = []
    for raw in filter(None, (part.strip() for part in text.split(","))):
        if raw.startswith("key="):
            continue
        faults.append(_parse_rule(raw))
    return faults


def _parse_rule(raw: str) -> Fault:
    route, _, action = raw.partition(":")
    if route not in ROUTES | {"any"} or not action:
        raise FaultSyntaxError(f"bad fault rule {raw!r}: expected route:action[*count]")
    action, _, count = action.partition("*")
    seconds = 0.0
    if action.startswith("slow="):
        action, seconds = "slow", _number(action[5:], raw)
    elif not (action.isdigit() and 400 <= int(action) <= 599) and action not in ("drop", "fail"):
        raise FaultSyntaxError(f"bad fault action in {raw!r}")
    return Fault(route, action, seconds, int(_number(count, raw)) if count else None)


def _number(text: str, raw: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise FaultSyntaxError(f"bad number in fault rule {raw!r}") from None


class FaultBook:
    """Counts how often each counted rule has fired (thread-safe, per process).

    Keyed by the rule text a caller sent, so it is bounded: the oldest counters go first.
    """

    MAX_COUNTERS = 10_000

    def __init__(self) -> None:
        self._fired: dict[tuple[str, Fault], int] = {}
        self._lock = threading.Lock()

    def pick(self, route: str, source: str, faults: list[Fault], action: str | None = None):
        """The first rule for `route` (and `action`, if given) that still has fires left."""
        for fault in faults:
            if fault.route not in (route, "any") or (action and fault.action != action):
                continue
            if self._take(source, fault):
                return fault
        return None

    def _take(self, source: str, fault: Fault) -> bool:
        if fault.count is None:
            return True
        with self._lock:
            fired = self._fired.get((source, fault), 0)
            if fired >= fault.count:
                return False
            self._fired[(source, fault)] = fired + 1
            while len(self._fired) > self.MAX_COUNTERS:
                del self._fired[next(iter(self._fired))]
            return True

    def reset(self) -> None:
        with self._lock:
            self._fired.clear()


book = FaultBook()
