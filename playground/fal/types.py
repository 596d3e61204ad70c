"""Typed views of fal's JSON: parsed once at the edge, used everywhere else."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class QueueState(StrEnum):
    IN_QUEUE = "IN_QUEUE"
    IN_PROGRESS = "IN_PROGRESS"
    COMPLETED = "COMPLETED"


@dataclass(frozen=True)
class LogEntry:
    message: str
    level: str = "INFO"
    source: str = "USER"
    timestamp: str | None = None

    @classmethod
    def from_json(cls, data: Any) -> LogEntry:
        if not isinstance(data, dict):
            return cls(message=str(data))
        return cls(
            message=str(data.get("message", "")),
            level=str(data.get("level") or "INFO"),
            source=str(data.get("source") or "USER"),
            timestamp=data.get("timestamp"),
        )


@dataclass(frozen=True)
class QueueStatus:
    status: QueueState
    request_id: str
    queue_position: int | None = None
    logs: list[LogEntry] = field(default_factory=list)
    metrics: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    error_type: str | None = None
    response_url: str | None = None

    @property
    def done(self) -> bool:
        return self.status is QueueState.COMPLETED

    @property
    def failed(self) -> bool:
        return self.done and bool(self.error)

    @classmethod
    def from_json(cls, data: dict[str, Any], request_id: str = "") -> QueueStatus:
        try:
            state = QueueState(data.get("status"))
        except ValueError:
            raise ValueError(f"unknown fal queue status {data.get('status')!r}") from None
        return cls(
            status=state,
            request_id=str(data.get("request_id") or request_id),
            queue_position=data.get("queue_position"),
            logs=[LogEntry.from_json(item) for item in data.get("logs") or []],
            metrics=data.get("metrics") or {},
            error=data.get("error"),
            error_type=data.get("error_type"),
            response_url=data.get("response_url"),
        )


@dataclass(frozen=True)
class SubmitResult:
    request_id: str
    status_url: str
    response_url: str
    cancel_url: str
    queue_position: int | None = None
    gateway_request_id: str | None = None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SubmitResult:
        try:
            return cls(
                request_id=str(data["request_id"]),
                status_url=str(data.get("status_url", "")),
                response_url=str(data.get("response_url", "")),
                cancel_url=str(data.get("cancel_url", "")),
                queue_position=data.get("queue_position"),
                gateway_request_id=data.get("gateway_request_id"),
            )
        except KeyError:
            raise ValueError("fal's submit answer has no request_id") from None


@dataclass(frozen=True)
class RunResult:
    data: Any
    request_id: str
    billable_units: float | None = None  # fal's x-fal-billable-units, when it sent one

    @staticmethod
    def units_of(header: str | None) -> float | None:
        try:
            units = float(header) if header else None
        except ValueError:
            return None
        return units if units is not None and 0 <= units < float("inf") else None


@dataclass(frozen=True)
class FalUrls:
    """Base URLs of fal's four hosts (or of the emulator's four mount points)."""

    run: str
    queue: str
    rest: str
    cdn: str

    @classmethod
    def real(cls) -> FalUrls:
        return cls(
            run="https://fal.run",
            queue="https://queue.fal.run",
            rest="https://rest.fal.ai",
            cdn="https://v3.fal.media",
        )

    @classmethod
    def local(cls, base: str) -> FalUrls:
        base = base.rstrip("/")
        return cls(run=f"{base}/run", queue=f"{base}/queue", rest=f"{base}/rest", cdn=f"{base}/cdn")
