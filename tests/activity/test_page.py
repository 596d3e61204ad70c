"""The team activity page and its CSV: who may see them, filters, pages, the export."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from playground.activity.actions import record
from playground.activity.models import Action, Entry
from tests.support import body

pytestmark = pytest.mark.django_db

VISITORS = ["owner", "admin", "member", "viewer", "outsider", "anonymous"]
PAGES = ["activity:team", "activity:team_csv"]


@pytest.fixture
def visitors(alice, ada, bob, vic, charlie):
    return {
        "owner": alice,
        "admin": ada,
        "member": bob,
        "viewer": vic,
        "outsider": charlie,
        "anonymous": None,
    }


def at(day: int, hour: int = 12) -> datetime:
    return datetime(2026, 11, day, hour, tzinfo=UTC)


def entry(team, actor, action, created: datetime, **extra) -> Entry:
    """An entry made at `created` (record() always writes "now")."""
    return Entry.objects.create(
        team=team, actor=actor, actor_name=actor.username, action=action, created=created, **extra
    )


def csv_rows(response) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(body(response).decode())))


@pytest.mark.parametrize("visitor", VISITORS)
@pytest.mark.parametrize("name", PAGES)
def test_only_admins_and_owners_see_the_activity(client, team, visitors, visitor, name):
    record(team, visitors["owner"], Action.TEAM_KEY_SET, target="…abcd")
    user = visitors[visitor]
    if user is not None:
        client.force_login(user)
    url = reverse(name, args=[team.slug])

    response = client.get(url)

    if visitor == "anonymous":
        assert response.status_code == 302
        assert response.url == f"{reverse('login')}?next={url}"
    elif visitor == "outsider":
        assert response.status_code == 404
    elif visitor in ("member", "viewer"):
        assert response.status_code == 403
        assert "…abcd" not in response.content.decode()
    else:
        assert response.status_code == 200
        assert "…abcd" in body(response).decode()


@pytest.mark.parametrize("name", PAGES)
def test_an_unknown_team_is_404(client, alice, name):
    client.force_login(alice)
    assert client.get(reverse(name, args=["nowhere"])).status_code == 404


@pytest.mark.parametrize("name", PAGES)
def test_writes_are_refused(client, alice, team, name):
    client.force_login(alice)
    assert client.post(reverse(name, args=[team.slug])).status_code == 405


def test_another_teams_activity_is_not_shown(client, alice, team, charlie):
    from playground.accounts.actions import create_team

    other = create_team(user=charlie, name="Elsewhere")
    record(other, charlie, Action.TEAM_KEY_SET, target="…zzzz")
    record(team, alice, Action.TEAM_KEY_SET, target="…abcd")
    client.force_login(alice)
    html = client.get(reverse("activity:team", args=[team.slug])).content.decode()
    assert "…abcd" in html and "…zzzz" not in html
    assert client.get(reverse("activity:team", args=[other.slug])).status_code == 404


def test_the_team_page_links_to_the_activity_for_admins_only(client, team, ada, bob):
    link = f'href="{reverse("activity:team", args=[team.slug])}"'
    client.force_login(ada)
    assert link in client.get(reverse("teams:detail", args=[team.slug])).content.decode()
    client.force_login(bob)
    assert link not in client.get(reverse("teams:detail", args=[team.slug])).content.decode()


def test_the_page_lists_entries_newest_first_with_links(client, team, alice, bob):
    entry(team, bob, Action.RUN_STARTED, at(1), target="fal-ai/flux/dev", target_url="/g/1/")
    entry(
        team,
        alice,
        Action.ROLE_CHANGED,
        at(2),
        target="bob",
        details={"from": "member", "to": "admin"},
    )
    client.force_login(alice)
    html = client.get(reverse("activity:team", args=[team.slug])).content.decode()
    assert html.index("changed a role") < html.index("ran a model")
    assert '<a href="/g/1/">fal-ai/flux/dev</a>' in html
    assert "member → admin" in html
    assert 'datetime="2026-11-02T12:00:00+00:00"' in html


def test_an_empty_log_says_so(client, team, alice):
    client.force_login(alice)
    html = client.get(reverse("activity:team", args=[team.slug])).content.decode()
    assert "No activity yet" in html


def test_filters_that_match_nothing_offer_to_clear_them(client, team, alice):
    record(team, alice, Action.TEAM_KEY_SET)
    client.force_login(alice)
    url = reverse("activity:team", args=[team.slug])
    html = client.get(url, {"action": Action.BUDGET_CHANGED}).content.decode()
    assert "Nothing matches these filters" in html and "Clear the filters" in html


@pytest.fixture
def history(team, alice, ada, bob):
    """Five entries over five days by three people."""
    return [
        entry(team, alice, Action.TEAM_KEY_SET, at(1), target="…aaaa"),
        entry(team, bob, Action.RUN_STARTED, at(2), target="fal-ai/one"),
        entry(team, ada, Action.ROLE_CHANGED, at(3), target="bob"),
        entry(team, bob, Action.RUN_STARTED, at(4), target="fal-ai/two"),
        entry(team, ada, Action.BUDGET_CHANGED, at(5), target="Team budget"),
    ]


def shown(client, team, **query) -> list[str]:
    response = client.get(reverse("activity:team", args=[team.slug]), query)
    assert response.status_code == 200
    return [e.target for e in response.context["entries"]]


def test_filter_by_person(client, team, alice, bob, history):
    client.force_login(alice)
    assert shown(client, team, person=str(bob.pk)) == ["fal-ai/two", "fal-ai/one"]


def test_filter_by_action(client, team, alice, history):
    client.force_login(alice)
    assert shown(client, team, action=Action.RUN_STARTED) == ["fal-ai/two", "fal-ai/one"]


def test_filter_by_days_includes_both_ends(client, team, alice, history):
    client.force_login(alice)
    assert shown(client, team, since="2026-11-02", until="2026-11-04") == [
        "fal-ai/two",
        "bob",
        "fal-ai/one",
    ]
    assert shown(client, team, since="2026-11-05") == ["Team budget"]
    assert shown(client, team, until="2026-11-01") == ["…aaaa"]


def test_filters_combine(client, team, alice, bob, history):
    client.force_login(alice)
    assert shown(
        client, team, person=str(bob.pk), action=Action.RUN_STARTED, since="2026-11-03"
    ) == ["fal-ai/two"]


@pytest.mark.parametrize(
    "query",
    [
        {"person": "bob"},
        {"person": "99999999999999999999999"},
        {"action": "drop table"},
        {"since": "yesterday"},
        {"until": "9999-12-31"},
        {"cursor": "%%%"},
    ],
)
def test_junk_filters_are_ignored(client, team, alice, history, query):
    client.force_login(alice)
    assert len(shown(client, team, **query)) == 5


def test_a_former_member_can_still_be_filtered_on(client, team, alice, bob, history):
    from playground.accounts.models import Membership

    Membership.objects.filter(user=bob).delete()
    client.force_login(alice)
    response = client.get(reverse("activity:team", args=[team.slug]), {"person": bob.pk})
    assert "bob (former member)" in response.content.decode()
    assert len(response.context["entries"]) == 2


def test_keyset_pages_cover_every_entry_once(client, team, alice, monkeypatch):
    monkeypatch.setattr("playground.activity.queries.PAGE_SIZE", 4)
    # Equal times too: the id breaks the tie, so no entry is skipped or repeated.
    made = [
        entry(team, alice, Action.LIMIT_CHANGED, at(1 + i // 3), target=f"t{i}") for i in range(10)
    ]
    client.force_login(alice)
    url = reverse("activity:team", args=[team.slug])
    seen, query = [], {"action": Action.LIMIT_CHANGED}
    for _page in range(5):
        response = client.get(url, query)
        seen += [e.target for e in response.context["entries"]]
        next_query = response.context["next_query"]
        if not next_query:
            break
        assert f'href="?{next_query}"'.replace("&", "&amp;") in response.content.decode()
        query = dict(pair.split("=", 1) for pair in next_query.split("&"))
    assert seen == [e.target for e in sorted(made, key=lambda e: (e.created, e.pk), reverse=True)]


def page_queries(client, team) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("activity:team", args=[team.slug]))
    assert response.status_code == 200
    return len(queries)


def test_the_page_costs_the_same_queries_for_3_or_40_entries(client, team, alice, ada, bob):
    """No query per entry or per person (no N+1)."""
    client.force_login(alice)
    people = [alice, ada, bob]
    for i in range(3):
        record(team, people[i], Action.RUN_STARTED, target=f"m{i}", target_url="/x/")
    few = page_queries(client, team)
    for i in range(37):
        record(team, people[i % 3], Action.ROLE_CHANGED, details={"from": "member", "to": "admin"})
    assert page_queries(client, team) == few
    assert few <= 5  # session, user, my membership, the members, the entries


def test_the_csv_has_every_entry_the_filters_select(client, team, alice, bob, history):
    client.force_login(alice)
    response = client.get(
        reverse("activity:team_csv", args=[team.slug]), {"person": bob.pk, "page": "ignored"}
    )
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="studio-activity.csv"'
    assert response.streaming and response.is_async  # written as it is sent
    rows = csv_rows(response)
    assert [r["target"] for r in rows] == ["fal-ai/two", "fal-ai/one"]
    first = rows[0]
    assert first["time"] == "2026-11-04T12:00:00+00:00"
    assert first["person"] == "bob"
    assert first["action"] == "run.started" and first["description"] == "ran a model"


def test_the_csv_links_are_absolute_and_details_are_json(client, team, alice, settings):
    settings.PUBLIC_BASE_URL = "https://studio.example.com"
    record(
        team,
        alice,
        Action.ROLE_CHANGED,
        target="bob",
        target_url="/generations/abc/",
        details={"from": "member", "to": "admin"},
    )
    client.force_login(alice)
    (row,) = csv_rows(client.get(reverse("activity:team_csv", args=[team.slug])))
    assert row["link"] == "https://studio.example.com/generations/abc/"
    assert row["details"] == "member → admin"
    assert row["data"] == '{"from": "member", "to": "admin"}'


def test_the_csv_defuses_spreadsheet_formulas(client, team, alice):
    record(team, alice, Action.TOKEN_CREATED, target='=HYPERLINK("http://evil")')
    client.force_login(alice)
    (row,) = csv_rows(client.get(reverse("activity:team_csv", args=[team.slug])))
    assert row["target"] == '\'=HYPERLINK("http://evil")'


def test_the_csv_streams_past_one_batch(client, team, alice, monkeypatch):
    monkeypatch.setattr("playground.activity.queries.EXPORT_BATCH", 7)
    for i in range(20):
        entry(team, alice, Action.LIMIT_CHANGED, at(1 + i // 6), target=f"t{i}")
    client.force_login(alice)
    rows = csv_rows(client.get(reverse("activity:team_csv", args=[team.slug])))
    assert sorted(r["target"] for r in rows) == sorted(f"t{i}" for i in range(20))
    assert len(rows) == 20


def test_the_page_and_csv_link_carry_the_filters(client, team, alice, bob):
    client.force_login(alice)
    html = client.get(
        reverse("activity:team", args=[team.slug]),
        {"person": bob.pk, "action": Action.RUN_STARTED, "since": "2026-11-01"},
    ).content.decode()
    csv_url = reverse("activity:team_csv", args=[team.slug])
    assert f'href="{csv_url}?person={bob.pk}&amp;action=run.started&amp;since=2026-11-01"' in html
