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
        # Budgets and limits, whatever they record: from → to, then the rest.
        (
            Action.BUDGET_CHANGED,
            {"from": "50.00", "to": "100.00", "scope": "team", "per_month": True},
            "50.00 → 100.00, scope: team, per month: True",
        ),
        (Action.LIMIT_CHANGED, {"member": "bob", "tier": "pro"}, "member: bob, tier: pro"),
        ("some.future.action", {"x": 1}, "x: 1"),
        (Action.ROLE_CHANGED, ["not", "a", "dict"], ""),
    ],
)
def test_details_read_as_words(action, details, words):
    assert summary(Entry(action=action, details=details)) == words


def test_an_unknown_action_is_shown_by_its_name():
    assert Entry(action="some.future.action").action_label == "some.future.action"
    assert Entry(action=Action.LIMIT_CHANGED).action_label == "changed a rate limit"
