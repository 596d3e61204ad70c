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


def progress_html(*, code: Any, active: bool, progress: float | None, oob: bool) -> SafeString:
    swap = mark_safe(' hx-swap-oob="true"') if oob else ""
    if not active:
        bar: SafeString | str = ""
    elif progress is None:
        bar = mark_safe('<progress aria-label="Working"></progress>')
    else:
        bar = format_html(
            '<progress max="1" value="{}" aria-label="Progress">{}%</progress>',
            progress,
            round(progress * 100),
        )
    return format_html('<div class="gen-progress" id="gen-{}-progress"{}>{}</div>', code, swap, bar)
