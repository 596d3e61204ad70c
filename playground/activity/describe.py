"""An entry's details in words, for the page and the CSV ("member → admin", "as viewer,
by email", "$50.00 a month → no budget"). Unknown actions and keys fall back to "key: value"
pairs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.utils.dateparse import parse_datetime

from playground.accounts.models import Role
from playground.activity.models import Action, Entry


def _role(value: Any) -> str:
    try:
        return Role(value).label.lower()
    except ValueError:
        return str(value)


def _day(value: Any) -> str:
    moment = parse_datetime(value) if isinstance(value, str) else None
    return f"{moment:%d %b %Y}" if moment else str(value)


def _by_sso(details: dict) -> str:
    """ ", by single sign-on (okta)" for a change single sign-on made (sso/groups.py)."""
    if details.get("via") != "sso":
        return ""
    return (
        f", by single sign-on ({details['provider']})"
        if details.get("provider")
        else (", by single sign-on")
    )


def _role_change(details: dict) -> str:
    if "from" not in details or "to" not in details:
        return ""
    return f"{_role(details['from'])} → {_role(details['to'])}{_by_sso(details)}"


def _was(details: dict) -> str:
    return f"was {_role(details.get('role'))}{_by_sso(details)}" if details.get("role") else ""


def _invitation(details: dict) -> str:
    parts = [f"as {_role(details.get('role'))}", f"by {details.get('by', 'link')}"]
    if details.get("expires"):
        parts.append(f"until {_day(details['expires'])}")
    return ", ".join(parts)


def _joined(details: dict) -> str:
    text = f"as {_role(details.get('role'))}"
    if details.get("invited_by"):
        text += f", invited by {details['invited_by']}"
    return text + _by_sso(details)


def _token(details: dict) -> str:
    return f"expires {_day(details['expires'])}" if details.get("expires") else "no expiry"


def _key(details: dict) -> str:
    return "replaced the previous key" if details.get("replaced") else ""


def _run(details: dict) -> str:
    return f"{details['mode']} mode" if details.get("mode") else ""


def _renamed(details: dict) -> str:
    return f"was “{details.get('from', '')}”"


def _budget(details: dict) -> str:
    def said(value: Any) -> str:
        return "no budget" if value is None else f"${value} a month"

    return f"{said(details.get('from'))} → {said(details.get('to'))}"


def _limit(details: dict) -> str:
    def said(value: Any) -> str:
        return "the default" if value is None else f"{value} requests a minute"

    return f"{said(details.get('from'))} → {said(details.get('to'))}"


def _nothing(details: dict) -> str:
    return ""


SUMMARIES: dict[str, Callable[[dict], str]] = {
    Action.ROLE_CHANGED: _role_change,
    Action.MEMBER_REMOVED: _was,
    Action.MEMBER_LEFT: _was,
    Action.MEMBER_INVITED: _invitation,
    Action.INVITATION_REVOKED: _invitation,
    Action.MEMBER_JOINED: _joined,
    Action.TOKEN_CREATED: _token,
    Action.TOKEN_REVOKED: _nothing,
    Action.TEAM_KEY_SET: _key,
    Action.TEAM_KEY_REMOVED: _nothing,
    Action.RUN_STARTED: _run,
    Action.TEAM_RENAMED: _renamed,
    Action.BUDGET_CHANGED: _budget,
    Action.LIMIT_CHANGED: _limit,
    Action.TEAM_CREATED: _nothing,
    Action.SHOWCASE_PUBLISHED: _nothing,
    Action.SHOWCASE_WITHDRAWN: _nothing,
    Action.SHOWCASE_ADDED: _nothing,
    Action.SHOWCASE_REMOVED: _nothing,
}


def generic(details: dict) -> str:
    """ "from → to" when the details say so, then every other key as "key: value"."""
    details = dict(details)
    parts = []
    if "from" in details and "to" in details:
        parts.append(f"{details.pop('from')} → {details.pop('to')}")
    parts += [f"{key.replace('_', ' ')}: {value}" for key, value in details.items()]
    return ", ".join(parts)


def summary(entry: Entry) -> str:
    details = entry.details if isinstance(entry.details, dict) else {}
    return SUMMARIES.get(entry.action, generic)(details)
