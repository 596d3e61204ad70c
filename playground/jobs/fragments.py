"""The panel's hottest fragments in plain Python: log lines and the progress bar are sent
for almost every live event, and building them here costs a fraction of a template render.
Templates use them too (jobs_tags), so there is one way each is drawn."""

from __future__ import annotations

from typing import Any

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe


def log_lines_html(lines: list[dict[str, Any]]) -> SafeString:
    return format_html_join("", "{}", ((_log_line(line),) for line in lines))


def _log_line(line: dict[str, Any]) -> SafeString:
    level = str(line.get("level") or "info").lower()
    stamp = line.get("timestamp")
    if stamp:
        return format_html(
            '<li class="gen-log gen-log--{}" data-ts="{}" title="{}">'
            '<span class="gen-log__msg">{}</span></li>',
            level,
            stamp,
            stamp,
            line.get("message", ""),
        )
    return format_html(
        '<li class="gen-log gen-log--{}"><span class="gen-log__msg">{}</span></li>',
        level,
        line.get("message", ""),
    )


def appended_logs_html(code: Any, lines: list[dict[str, Any]]) -> SafeString:
    """New lines appended to the panel's log list (htmx out-of-band, beforeend)."""
    return format_html(
        '<ol id="gen-{}-logs" hx-swap-oob="beforeend">{}</ol>', code, log_lines_html(lines)
    )


def progress_html(
    *, code: Any, active: bool, progress: float | None, oob: bool, status: str = ""
) -> SafeString:
    """The bar while a run is active; once it ended (`status`), a still bar in its final
    state: full when completed, stopped where it was when it failed or was cancelled."""
    swap = mark_safe(' hx-swap-oob="true"') if oob else ""
    if not active:
        return _final_progress_html(code, status, progress, swap)
    if progress is None:
        bar: SafeString | str = mark_safe('<progress aria-label="Working"></progress>')
    else:
        bar = format_html(
            '<progress max="1" value="{}" aria-label="Progress">{}%</progress>',
            progress,
            round(progress * 100),
        )
    return format_html('<div class="gen-progress" id="gen-{}-progress"{}>{}</div>', code, swap, bar)


FINAL_LABELS = {
    "completed": "Completed",
    "failed": "Stopped: failed",
    "cancelled": "Stopped: cancelled",
}


def _final_progress_html(code: Any, status: str, progress: float | None, swap: str) -> SafeString:
    if status not in FINAL_LABELS:
        return format_html('<div class="gen-progress" id="gen-{}-progress"{}></div>', code, swap)
    # A failure with no progress reported fills the bar in its colour; a cancel stops at 0.
    default = 0.0 if status == "cancelled" else 1.0
    value = 1.0 if status == "completed" else (progress if progress is not None else default)
    return format_html(
        '<div class="gen-progress gen-progress--{}" id="gen-{}-progress"{}>'
        '<progress max="1" value="{}" aria-label="{}">{}%</progress></div>',
        status,
        code,
        swap,
        value,
        FINAL_LABELS[status],
        round(value * 100),
    )
