"""/usage/: a person's own usage, a team's for its admins; charts, filters and tables."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from playground.accounts.models import Membership, Role
from playground.gateway import tokens

pytestmark = pytest.mark.django_db
PAGE = "/usage/"


def charts_of(html: str) -> set[str]:
    return set(re.findall(r'data-chart="([a-z]+)"', html))


def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get(PAGE)

    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_an_empty_range_says_how_to_fill_it(client_alice):
    html = client_alice.get(PAGE).content.decode()

    assert "No requests in this range" in html
    assert charts_of(html) == set()
    assert 'href="/accounts/tokens/"' in html


def test_the_page_draws_every_chart_with_a_table_beside_it(client_alice, alice, log):
    log(alice, latency_ms=300, cost=Decimal("0.025"))
    log(alice, days_ago=1, status=500, error="boom", entrance="gateway")
    log(alice, days_ago=2, endpoint_id="fal-ai/flux/dev", entrance="playground", queue_ms=1200)

    html = client_alice.get(PAGE).content.decode()

    assert charts_of(html) == {"requests", "cost", "latency", "errors", "models", "entrances"}
    assert html.count('<svg class="usage-svg"') == 4
    assert html.count("<table") == 6 and html.count("Show table") == 6
    assert re.search(r"<dt>Requests</dt><dd>3</dd>", html)
    assert re.search(r"<dt>Error rate</dt><dd>33%</dd>", html)
    assert "Gateway route" in html and "fal-ai/flux/dev" in html
    assert "By member" not in html  # a person's own view
    # Each chart's CSV link keeps the filters and names its rows.
    assert 'href="/usage/export.csv?days=30&amp;rows=model"' in html


def test_a_member_sees_only_their_own_usage(client, alice, bob, team, log):
    log(alice, endpoint_id="fal-ai/alice-only", team_id=team.pk)
    log(bob, endpoint_id="fal-ai/bob-only", team_id=team.pk)
    client.force_login(bob)

    html = client.get(PAGE).content.decode()

    assert "fal-ai/bob-only" in html and "fal-ai/alice-only" not in html
    assert "Whose usage" not in html  # no team to switch to


@pytest.mark.parametrize(
    ("who", "status"),
    [("alice", 200), ("admin", 200), ("bob", 404), ("viewer", 404), ("charlie", 404)],
)
def test_only_team_admins_see_the_teams_usage(
    client, alice, bob, charlie, team, log, django_user_model, who, status
):
    people = {"alice": alice, "bob": bob, "charlie": charlie}
    if who in ("admin", "viewer"):
        people[who] = django_user_model.objects.create_user(who)
        Membership.objects.create(user=people[who], team=team, role=who)
    log(bob, team_id=team.pk)
    client.force_login(people[who])

    assert client.get(PAGE, {"team": team.slug}).status_code == status
    assert client.get("/usage/export.csv", {"team": team.slug}).status_code == status


def test_the_team_view_adds_up_every_member_and_charts_them(client_alice, alice, bob, team, log):
    log(alice, team_id=team.pk, cost=Decimal("0.01"))
    log(bob, team_id=team.pk, cost=Decimal("0.02"))
    log(bob, team_id=team.pk, cost=Decimal("0.02"), days_ago=3)
    log(alice, cost=Decimal("5"))  # alice's own, not the team's

    html = client_alice.get(PAGE, {"team": team.slug}).content.decode()

    assert "members" in charts_of(html)
    assert re.search(r"<dt>Cost</dt><dd>\$0.05</dd>", html)
    members = html[html.index('id="chart-members"') :]
    assert members.index(">bob<") < members.index(">alice<")  # most requests first
    assert 'aria-current="page">Studio</a>' in html


def test_filters_narrow_every_chart(client_alice, alice, team, log, django_user_model):
    token = tokens.mint(alice, label="ci").token
    log(alice, endpoint_id="fal-ai/a", entrance="proxy", token_id=token.pk)
    log(alice, endpoint_id="fal-ai/b", entrance="gateway")
    log(alice, endpoint_id="fal-ai/b", entrance="playground", days_ago=10)

    def total(**query) -> str:
        html = client_alice.get(PAGE, query).content.decode()
        found = re.search(r"<dt>Requests</dt><dd>([\d,]+)</dd>", html)
        return found.group(1) if found else "0"

    assert total() == "3"
    assert total(model="fal-ai/b") == "2"
    assert total(entrance="gateway") == "1"
    assert total(token=str(token.pk)) == "1"
    assert total(token="none") == "2"
    assert total(days="7") == "2"
    today = datetime.now(UTC).date()
    week = today - timedelta(days=12)
    assert total(start=week.isoformat(), end=(today - timedelta(days=8)).isoformat()) == "1"
    # A preset button wins over dates left in the form.
    assert total(start=week.isoformat(), end=week.isoformat(), preset="30") == "3"
    assert total(days="lots", token="x' or 1=1") == "3"  # junk is ignored


def test_the_member_filter_is_the_team_views(client_alice, alice, bob, team, log):
    log(alice, team_id=team.pk)
    log(bob, team_id=team.pk)
    log(bob, team_id=team.pk)

    html = client_alice.get(PAGE, {"team": team.slug, "member": bob.pk}).content.decode()

    assert re.search(r"<dt>Requests</dt><dd>2</dd>", html)
    assert f'<option value="{bob.pk}" selected>bob</option>' in html


def test_the_page_takes_the_same_number_of_queries_however_much_was_logged(
    client_alice, alice, bob, team, log
):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client_alice.get(PAGE, {"team": team.slug}).status_code == 200
        return len(captured)

    log(bob, team_id=team.pk)
    few = queries()
    for n in range(40):
        log(alice if n % 2 else bob, team_id=team.pk, days_ago=n % 20,
            endpoint_id=f"fal-ai/model-{n}", entrance=("proxy", "gateway")[n % 2])  # fmt: skip
    tokens.mint(alice, label="one", team=team)
    tokens.mint(alice, label="two", team=team)

    many = queries()
    assert many == few <= 12


def test_the_switcher_lists_only_teams_i_administer(client, bob, team, log, django_user_model):
    from playground.accounts.models import Team

    other = Team.objects.create(name="Lab", slug="lab")
    Membership.objects.create(user=bob, team=other, role=Role.ADMIN)
    log(bob)
    client.force_login(bob)

    html = client.get(PAGE).content.decode()

    nav = html[html.index('aria-label="Whose usage"') :][:800]
    assert ">Lab</a>" in nav and "Studio" not in nav


def test_names_are_escaped_in_charts_and_tables(client_alice, alice, log):
    log(alice, endpoint_id='fal-ai/<script>alert("x")</script>')

    html = client_alice.get(PAGE).content.decode()

    assert "<script>alert" not in html
    assert "fal-ai/&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
