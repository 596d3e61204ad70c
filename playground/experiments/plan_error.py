"""PlanError, and the cap on runs (EXPERIMENT_MAX_RUNS) that every part of planning enforces.

Apart from plan.py so that the modules plan.py builds on (sweep_values.py, schema_check.py)
raise the same error; plan.py re-exports PlanError and max_runs.
"""

from __future__ import annotations

from django.conf import settings

DEFAULT_MAX_RUNS = 200


class PlanError(ValueError):
    """An experiment that cannot run as asked; `field` names the spec or input field at fault."""

    def __init__(self, message: str, *, field: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def max_runs() -> int:
    return int(getattr(settings, "EXPERIMENT_MAX_RUNS", DEFAULT_MAX_RUNS))


def _check_cap(size: int, *, field: str) -> None:
    cap = max_runs()
    if size > cap:
        raise PlanError(
            f"This experiment would make {size} runs; the limit is {cap} (EXPERIMENT_MAX_RUNS).",
            field=field,
        )
