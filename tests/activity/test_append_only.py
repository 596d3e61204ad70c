"""The activity log is append-only: the app can neither change nor delete an entry, and
the admin only reads it. Entries go only with their team."""

from __future__ import annotations

import pytest
from django.urls import reverse

from playground.activity.actions import record
from playground.activity.models import Action, AppendOnly, Entry

pytestmark = pytest.mark.django_db


@pytest.fixture
def logged(team, alice) -> Entry:
    return record(team, alice, Action.TEAM_KEY_SET, target="…abcd", details={"last4": "abcd"})


def test_an_entry_cannot_be_saved_again(logged):
    logged.target = "…zzzz"
    with pytest.raises(AppendOnly):
        logged.save()
    assert Entry.objects.get().target == "…abcd"


def test_an_entry_cannot_be_deleted(logged):
    with pytest.raises(AppendOnly):
        logged.delete()
    with pytest.raises(AppendOnly):
        Entry.objects.filter(pk=logged.pk).delete()
    with pytest.raises(AppendOnly):
        Entry.objects.all().update(target="…zzzz")
    assert Entry.objects.get().target == "…abcd"


def test_entries_outlive_their_author_and_go_with_their_team(logged, team, alice):
    alice.delete()
    kept = Entry.objects.get()
    assert kept.actor is None and kept.actor_name == "alice"
    team.delete()
    assert not Entry.objects.exists()


@pytest.fixture
def staff_client(client, django_user_model):
    staff = django_user_model.objects.create_superuser("root", password="pw-root-12345")
    client.force_login(staff)
    return client


def test_the_admin_lists_and_shows_entries_read_only(staff_client, logged):
    listing = staff_client.get(reverse("admin:activity_entry_changelist"))
    assert listing.status_code == 200 and "…abcd" in listing.content.decode()
    page = staff_client.get(reverse("admin:activity_entry_change", args=[logged.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="target"' not in html and 'name="_save"' not in html


def test_the_admin_cannot_add_change_or_delete(staff_client, logged):
    assert staff_client.get(reverse("admin:activity_entry_add")).status_code == 403
    response = staff_client.post(
        reverse("admin:activity_entry_change", args=[logged.pk]), {"target": "…zzzz"}
    )
    assert response.status_code == 403
    assert (
        staff_client.post(
            reverse("admin:activity_entry_delete", args=[logged.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
    bulk = staff_client.post(
        reverse("admin:activity_entry_changelist"),
        {"action": "delete_selected", "_selected_action": [logged.pk], "post": "yes"},
    )
    assert bulk.status_code in (200, 302)
    assert Entry.objects.get().target == "…abcd"
