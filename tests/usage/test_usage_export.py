"""/usage/export.csv: the rows behind each chart, with the page's filters, for a browser
session or a personal access token."""

from __future__ import annotations

import csv
import io
import warnings
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from playground.gateway import tokens
from tests.gateway.conftest import auth

pytestmark = pytest.mark.django_db
EXPORT = "/usage/export.csv"


def rows_of(response) -> list[dict[str, str]]:
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"] == "text/csv"
    with warnings.catch_warnings():
        # The view streams asynchronously (under daphne); the sync test client reads it all.
        warnings.simplefilter("ignore")
        text = b"".join(response).decode()
    return list(csv.DictReader(io.StringIO(text)))


def test_every_row_is_a_day_member_token_model_and_entrance(client_alice, alice, log):
    token = tokens.mint(alice, label="ci").token
    log(alice, token_id=token.pk, cost=Decimal("0.025"), latency_ms=900)
    log(alice, token_id=token.pk, cost=Decimal("0.025"), latency_ms=1100, status=500)
    log(alice, entrance="playground", days_ago=1, queue_ms=400)

    rows = rows_of(client_alice.get(EXPORT))

    today = datetime.now(UTC).date()
    assert [(r["day"], r["token"], r["entrance"]) for r in rows] == [
        ((today - timedelta(days=1)).isoformat(), "browser session", "playground"),
        (today.isoformat(), f"ci …{token.last4}", "proxy"),
    ]
    assert rows[1]["member"] == "alice" and rows[1]["model"] == "fal-ai/flux/schnell"
    assert (rows[1]["requests"], rows[1]["failed"], rows[1]["error_rate"]) == ("2", "1", "0.5000")
    assert (rows[1]["cost_usd"], rows[1]["latency_avg_ms"]) == ("0.050000", "1000")
    assert rows[0]["queue_avg_ms"] == "400" and rows[1]["queue_avg_ms"] == ""
    response = client_alice.get(EXPORT)
    assert "attachment" in response["Content-Disposition"]


def test_each_chart_has_its_own_rows_and_the_filters_apply(client_alice, alice, log):
    log(alice, endpoint_id="fal-ai/a")
    log(alice, endpoint_id="fal-ai/a", days_ago=2)
    log(alice, endpoint_id="fal-ai/b", entrance="gateway")

    by_model = rows_of(client_alice.get(EXPORT, {"rows": "model"}))
    by_day = rows_of(client_alice.get(EXPORT, {"rows": "day", "model": "fal-ai/a"}))
    by_entrance = rows_of(client_alice.get(EXPORT, {"rows": "entrance", "days": "7"}))

    assert [(r["model"], r["requests"]) for r in by_model] == [("fal-ai/a", "2"), ("fal-ai/b", "1")]
    assert list(by_model[0]) == [
        "model", "requests", "failed", "error_rate", "cost_usd", "latency_avg_ms",
        "latency_p50_ms", "latency_p95_ms", "queue_avg_ms",
    ]  # fmt: skip
    assert [r["requests"] for r in by_day] == ["1", "1"]
    assert {r["entrance"]: r["requests"] for r in by_entrance} == {"gateway": "1", "proxy": "2"}


def test_a_script_fetches_it_with_a_personal_access_token(client, alice, charlie, log):
    secret = tokens.mint(alice, label="script").secret
    log(alice, endpoint_id="fal-ai/mine")
    log(charlie, endpoint_id="fal-ai/theirs")

    rows = rows_of(client.get(EXPORT, {"rows": "model"}, **auth(secret)))

    assert [r["model"] for r in rows] == ["fal-ai/mine"]


def test_a_team_admins_token_exports_the_team_a_members_is_refused(client, alice, bob, team, log):
    log(bob, team_id=team.pk)
    log(alice, team_id=team.pk)

    admin = client.get(EXPORT, {"team": team.slug, "rows": "member"},
                       **auth(tokens.mint(alice).secret))  # fmt: skip
    member = client.get(EXPORT, {"team": team.slug}, **auth(tokens.mint(bob).secret))

    assert {r["member"] for r in rows_of(admin)} == {"alice", "bob"}
    assert member.status_code == 404


def test_strangers_and_bad_tokens_get_nothing(client, alice, log):
    log(alice)
    revoked = tokens.mint(alice)
    tokens.revoke(alice, revoked.token.pk)

    assert client.get(EXPORT, **auth("pgt_not-a-token")).status_code == 401
    assert client.get(EXPORT, **auth(revoked.secret)).status_code == 401
    anonymous = client.get(EXPORT)
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
    assert client.post(EXPORT, **auth(revoked.secret)).status_code == 405


def test_the_export_reads_the_roll_up_in_a_fixed_number_of_queries(
    client_alice, alice, log, django_assert_max_num_queries
):
    for n in range(30):
        log(alice, endpoint_id=f"fal-ai/m{n}", days_ago=n % 10)

    with django_assert_max_num_queries(8):
        rows = rows_of(client_alice.get(EXPORT))

    assert len(rows) == 30
