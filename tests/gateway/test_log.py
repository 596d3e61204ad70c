"""The request log: own rows, team rows for admins, keyset pages, JSON for scripts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from playground.gateway import tokens
from playground.gateway.models import RequestLog
from tests.gateway.conftest import auth

pytestmark = pytest.mark.django_db


def log_row(user, **fields):
    defaults = {"entrance": "proxy", "kind": "submit", "method": "POST", "status": 200,
                "endpoint_id": "fal-ai/flux/dev", "latency_ms": 12}  # fmt: skip
    return RequestLog.objects.create(user=user, **{**defaults, **fields})


def test_the_page_lists_only_the_persons_own_requests(client_alice, alice, charlie):
    log_row(alice, endpoint_id="fal-ai/flux/dev", request_id="mine-1")
    log_row(charlie, endpoint_id="fal-ai/secret-model", request_id="theirs-1")

    page = client_alice.get("/gateway/requests/").content.decode()

    assert "fal-ai/flux/dev" in page
    assert "fal-ai/secret-model" not in page


def test_filters_by_outcome_entrance_and_endpoint(client_alice, alice):
    log_row(alice, endpoint_id="fal-ai/flux/dev")
    log_row(alice, endpoint_id="fal-ai/broken", status=500, entrance="gateway")

    failed = client_alice.get("/gateway/requests/?outcome=error").content.decode()
    by_route = client_alice.get("/gateway/requests/?entrance=gateway").content.decode()
    by_name = client_alice.get("/gateway/requests/?endpoint=fal-ai/flux").content.decode()
    nothing = client_alice.get("/gateway/requests/?endpoint=nope").content.decode()

    assert "fal-ai/broken" in failed and "fal-ai/flux/dev" not in failed
    assert "fal-ai/broken" in by_route and "fal-ai/flux/dev" not in by_route
    assert "fal-ai/flux/dev" in by_name and "fal-ai/broken" not in by_name
    assert "No requests match these filters" in nothing


def test_an_empty_log_says_how_to_fill_it(client_alice):
    page = client_alice.get("/gateway/requests/").content.decode()
    assert "No gateway requests yet" in page and "/api/fal/proxy" in page


def test_team_admins_see_the_team_log_members_do_not(client, alice, bob, team):
    log_row(bob, team=team, endpoint_id="fal-ai/team-run")

    client.force_login(alice)  # the owner
    as_owner = client.get(f"/gateway/requests/?team={team.slug}")
    client.force_login(bob)  # a member
    as_member = client.get(f"/gateway/requests/?team={team.slug}")

    assert "fal-ai/team-run" in as_owner.content.decode()
    assert as_member.status_code == 404


def test_the_list_takes_a_fixed_number_of_queries(client_alice, alice, django_assert_num_queries):
    token = tokens.mint(alice, label="app").token
    for n in range(30):
        log_row(alice, token=token, request_id=f"r{n}")

    # session + user, memberships, the rows with their tokens
    with django_assert_num_queries(4):
        client_alice.get("/gateway/requests/")


def test_pages_follow_each_other_by_keyset(client_alice, alice):
    start = timezone.now()
    for n in range(55):
        log_row(alice, request_id=f"req-{n:02d}", created=start - timedelta(seconds=n))

    first = client_alice.get("/gateway/requests/")
    second = client_alice.get("/gateway/requests/?" + first.context["next_query"])

    first_ids = [row.request_id for row in first.context["rows"]]
    second_ids = [row.request_id for row in second.context["rows"]]
    assert first_ids[0] == "req-00" and len(first_ids) == 50
    assert second_ids == [f"req-{n}" for n in range(50, 55)]
    assert second.context["next_query"] == ""


def test_the_detail_shows_input_and_output_to_its_owner_only(client, alice, charlie):
    row = log_row(alice, input_text='{"prompt": "a fox"}', output_text='{"images": []}')

    client.force_login(alice)
    mine = client.get(f"/gateway/requests/{row.pk}/")
    client.force_login(charlie)
    theirs = client.get(f"/gateway/requests/{row.pk}/")

    assert "a fox" in mine.content.decode() and "images" in mine.content.decode()
    assert theirs.status_code == 404


def test_the_json_api_answers_a_token_with_its_owners_rows(client, alice, charlie):
    secret = tokens.mint(alice).secret
    for n in range(3):
        log_row(alice, request_id=f"a{n}")
    log_row(charlie, request_id="c0")

    response = client.get("/api/gateway/requests?limit=2", **auth(secret))
    rest = client.get(f"/api/gateway/requests?limit=2&cursor={response.json()['next_cursor']}",
                      **auth(secret))  # fmt: skip

    assert response.status_code == 200
    body = response.json()
    assert [row["request_id"] for row in body["requests"]] == ["a2", "a1"]
    assert [row["request_id"] for row in rest.json()["requests"]] == ["a0"]
    assert rest.json()["next_cursor"] is None


def test_the_json_api_refuses_strangers_and_bad_limits(client, alice):
    secret = tokens.mint(alice).secret

    assert client.get("/api/gateway/requests").status_code == 401
    bad = client.get("/api/gateway/requests?limit=lots", **auth(secret))
    assert bad.status_code == 400 and "limit" in bad.json()["detail"]
