"""An entry's details in words, as the page and the CSV show them."""

from __future__ import annotations

import pytest

from playground.activity.describe import summary
from playground.activity.models import Action, Entry


@pytest.mark.parametrize(
    ("action", "details", "words"),
    [
        (Action.ROLE_CHANGED, {"from": "member", "to": "admin"}, "member → admin"),
        (Action.MEMBER_REMOVED, {"role": "viewer"}, "was viewer"),
        (
            Action.MEMBER_INVITED,
            {"role": "member", "by": "email", "expires": "2026-12-14T06:00:00+00:00"},
            "as member, by email, until 14 Dec 2026",
        ),
        (
            Action.MEMBER_JOINED,
            {"role": "admin", "invited_by": "alice"},
            "as admin, invited by alice",
        ),
        (Action.TOKEN_CREATED, {"label": "ci", "expires": None}, "no expiry"),
        (Action.TEAM_KEY_SET, {"last4": "abcd", "replaced": True}, "replaced the previous key"),
        (Action.RUN_STARTED, {"mode": "stream"}, "stream mode"),
        # Budgets and limits (limits/actions.py): from → to, none said in words.
        (
            Action.BUDGET_CHANGED,
            {"from": "50.00", "to": "100.00", "per": "month"},
            "$50.00 a month → $100.00 a month",
        ),
        (Action.BUDGET_CHANGED, {"from": "5.00", "to": None}, "$5.00 a month → no budget"),
        (
            Action.LIMIT_CHANGED,
            {"from": None, "to": 7, "per": "minute"},
            "the default → 7 requests a minute",
        ),
        ("some.future.action", {"x": 1}, "x: 1"),
        (Action.ROLE_CHANGED, ["not", "a", "dict"], ""),
    ],
)
def test_details_read_as_words(action, details, words):
    assert summary(Entry(action=action, details=details)) == words


def test_an_unknown_action_is_shown_by_its_name():
    assert Entry(action="some.future.action").action_label == "some.future.action"
    assert Entry(action=Action.LIMIT_CHANGED).action_label == "changed a rate limit"
