"""Team names go into email subjects: a line break in one must never become a header of
its own, nor a 500 when the invitation is sent (S13)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from playground.accounts.models import Team

pytestmark = pytest.mark.django_db
HOSTILE = "Studio\r\nBcc: everyone@example.com"


def test_a_new_team_name_with_a_line_break_is_refused_at_the_field(client_alice):
    response = client_alice.post(reverse("teams:list"), {"name": HOSTILE})

    assert response.status_code == 200
    assert "must be one line" in response.content.decode()
    assert not Team.objects.exists()


def test_renaming_a_team_to_a_name_with_a_line_break_is_refused(client_alice, team):
    client_alice.raise_request_exception = False
    client_alice.post(reverse("teams:settings", args=[team.slug]), {"settings-name": HOSTILE})

    team.refresh_from_db()
    assert team.name == "Studio"


def test_an_invitation_to_a_team_named_over_two_lines_is_sent_on_one(
    client_alice, team, mailoutbox
):
    Team.objects.filter(pk=team.pk).update(name=HOSTILE)  # e.g. from before, or the admin

    response = client_alice.post(
        reverse("teams:invite_email", args=[team.slug]),
        {"email-email": "erin@example.com", "email-role": "member", "email-days": "7"},
    )

    assert response.status_code == 302
    (mail,) = mailoutbox
    assert mail.subject == "alice invited you to Studio Bcc: everyone@example.com on Playground"
    assert mail.recipients() == ["erin@example.com"]
