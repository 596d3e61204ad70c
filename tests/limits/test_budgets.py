"""Monthly budgets: warned once at 80 % (an email and a notice), refused at 100 % (402 with
who can raise it) wherever new work starts, and spending starts again each month (UTC)."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from decimal import Decimal
from html import unescape

import pytest
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import RequestFactory
from django.urls import reverse

from playground.accounts.models import Membership
from playground.activity.models import Action, Entry
from playground.gateway import engine, tokens
from playground.gateway.callers import Caller, Refused
from playground.gateway.models import RequestLog
from playground.gateway.requestlog import create_row
from playground.gateway.views import target_of
from playground.jobs.models import Generation
from playground.lib.memo import NotRemembered, forget_everything
from playground.limits.budgets import (
    OverBudget,
    budgets_for,
    check_budgets,
    month_of,
    spent,
)
from playground.limits.models import BudgetNotice, BudgetWarning, PersonBudget
from tests.gallery.conftest import finished

pytestmark = pytest.mark.django_db
RUN = reverse("jobs:run", args=["fal-ai/flux/schnell"])
HTMX = {"HX-Request": "true"}
PROXY = "/api/fal/proxy"
SUBMIT = "https://queue.fal.run/fal-ai/flux/schnell"
REQUESTS = "https://queue.fal.run/fal-ai/flux/requests"
MID_NOVEMBER = datetime(2026, 11, 15, 12, tzinfo=UTC)
LAST_SECOND_OF_NOVEMBER = datetime(2026, 11, 30, 23, 59, 59, tzinfo=UTC)
FIRST_OF_DECEMBER = datetime(2026, 12, 1, 0, 0, 1, tzinfo=UTC)


@pytest.fixture(autouse=True)
def fresh_memory():
    forget_everything()
    yield
    forget_everything()


def spend(user, dollars: str, *, team=None, token=None, when: datetime | None = None):
    """A costed call in the log (and its roll-up), as the gateway and finished runs write."""
    fields = {"created": when} if when else {}
    return create_row(
        user_id=user.pk, team_id=team.pk if team else None, token=token, entrance="proxy",
        kind="run", endpoint_id="fal-ai/flux/schnell", method="POST", status=200,
        cost=Decimal(dollars), **fields,
    )  # fmt: skip


def give_budget(user, dollars: str) -> None:
    PersonBudget.objects.update_or_create(user=user, defaults={"monthly_budget": Decimal(dollars)})


# Warn at 80 %.


def test_under_80_percent_nothing_is_sent(alice):
    give_budget(alice, "10")
    spend(alice, "7.99")

    check_budgets(alice.pk)

    assert mail.outbox == [] and not BudgetWarning.objects.exists()


def test_at_80_percent_the_person_is_emailed_once_and_gets_a_notice(alice):
    alice.email = "alice@example.com"
    alice.save()
    give_budget(alice, "10")
    spend(alice, "8")

    for _ in range(3):
        check_budgets(alice.pk)  # 80 % is not 100 %: nothing is refused
    spend(alice, "1")
    check_budgets(alice.pk)

    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.to == ["alice@example.com"]
    assert "80 % of alice's personal monthly budget" in email.subject
    assert "$8.00" in email.body and "$10.00" in email.body and "ask staff" not in email.body
    assert BudgetNotice.objects.filter(user=alice, dismissed__isnull=True).count() == 1


def test_the_notice_is_shown_on_pages_until_dismissed(client_alice, alice):
    give_budget(alice, "10")
    spend(alice, "9")
    check_budgets(alice.pk)
    notice = BudgetNotice.objects.get(user=alice)

    page = unescape(client_alice.get(reverse("usage:page")).content.decode())
    assert "90 % of alice's personal monthly budget of $10.00 is spent" in page

    dismissed = client_alice.post(
        reverse("limits:dismiss_notice", args=[notice.pk]), {"next": "/usage/"}
    )
    assert dismissed.status_code == 302 and dismissed.url == "/usage/"
    assert "personal monthly budget of $10.00 is spent" not in (
        client_alice.get(reverse("usage:page")).content.decode()
    )


def test_a_team_budget_notice_is_on_the_admins_home_and_team_pages(client_alice, bob, team):
    team.monthly_budget = Decimal("10")
    team.save()
    spend(bob, "8.5", team=team)
    check_budgets(bob.pk, team_id=team.pk)
    said = "85 % of the team Studio's monthly budget of $10.00 is spent"

    for url in (reverse("home"), reverse("teams:detail", args=["studio"]),
                reverse("teams:limits", args=["studio"])):  # fmt: skip
        assert said in unescape(client_alice.get(url).content.decode()), url
    assert not BudgetNotice.objects.filter(user=bob).exists()  # a member: not his to raise


def test_dismissing_with_htmx_removes_the_notice_in_place(client_alice, alice):
    give_budget(alice, "10")
    spend(alice, "9")
    check_budgets(alice.pk)
    notice = BudgetNotice.objects.get()

    answer = client_alice.post(
        reverse("limits:dismiss_notice", args=[notice.pk]), headers={"HX-Request": "true"}
    )

    assert answer.status_code == 200 and answer.content == b""
    notice.refresh_from_db()
    assert notice.dismissed is not None


def test_someone_elses_notice_cannot_be_dismissed(client, alice, charlie):
    give_budget(alice, "10")
    spend(alice, "9")
    check_budgets(alice.pk)
    client.force_login(charlie)

    answer = client.post(reverse("limits:dismiss_notice", args=[BudgetNotice.objects.get().pk]))

    assert answer.status_code == 404
    assert BudgetNotice.objects.get().dismissed is None


def test_a_team_budget_warns_the_teams_admins_and_the_member_budget_the_member_too(
    alice, bob, team
):
    alice.email, bob.email = "alice@example.com", "bob@example.com"
    alice.save(), bob.save()
    team.monthly_budget = Decimal("100")
    team.save()
    Membership.objects.filter(user=bob, team=team).update(monthly_budget=Decimal("10"))
    spend(bob, "9", team=team)
    spend(alice, "75", team=team)

    check_budgets(bob.pk, team_id=team.pk)

    sent = {email.subject: email.to for email in mail.outbox}
    assert sent == {
        "Playground: 84 % of the team Studio's monthly budget is spent": ["alice@example.com"],
        "Playground: 90 % of bob's monthly budget in Studio is spent": [
            "alice@example.com", "bob@example.com",
        ],
    }  # fmt: skip


# Block at 100 %.


def test_at_100_percent_new_work_is_refused_with_who_can_raise_it(alice):
    give_budget(alice, "10")
    spend(alice, "10")

    with pytest.raises(OverBudget) as refused:
        check_budgets(alice.pk)

    assert str(refused.value) == (
        "Your monthly budget of $10.00 is reached ($10.00 spent this month); ask staff to raise it."
    )


def test_the_run_form_gets_402_json_and_nothing_starts(client_alice, alice):
    give_budget(alice, "1")
    spend(alice, "1.5")

    refused = client_alice.post(RUN, {"prompt": "a fox"}, headers=HTMX)

    assert refused.status_code == 402
    body = refused.json()
    assert body["detail"].startswith("Your monthly budget of $1.00 is reached ($1.50 spent")
    assert body["detail"].endswith("ask staff to raise it.")
    assert body["errors"]["__all__"] == [body["detail"]]
    assert not Generation.objects.exists()


def test_a_run_for_the_team_is_refused_by_the_teams_budget_not_the_persons(client, bob, team):
    give_budget(bob, "1")
    spend(bob, "5")  # on his own account: not the team's business
    client.force_login(bob)
    assert client.post(RUN, {"prompt": "a", "__team": team.pk}, headers=HTMX).status_code == 201

    team.monthly_budget = Decimal("2")
    team.save()
    spend(bob, "2", team=team)
    refused = client.post(RUN, {"prompt": "b", "__team": team.pk}, headers=HTMX)

    assert refused.status_code == 402
    assert refused.json()["detail"] == (
        "The team Studio's monthly budget of $2.00 is reached ($2.00 spent this month); "
        "ask an admin of Studio to raise it."
    )


def test_the_model_page_script_shows_the_budget_message_beside_run(settings, client_alice):
    page = client_alice.get(reverse("catalog:model", args=["fal-ai/flux/schnell"]))
    script = (settings.BASE_DIR / "static/js/modelrun.js").read_text()

    assert "data-run-wait" in page.content.decode()
    assert "response.status === 402" in script and "showBlocked(body.detail)" in script


def test_a_rerun_over_budget_says_so_and_starts_nothing(client_alice, alice):
    generation = finished(alice, "again")
    give_budget(alice, "1")
    spend(alice, "1")

    page = client_alice.post(reverse("gallery:rerun", args=[generation.code]), follow=True)

    assert "Your monthly budget of $1.00 is reached" in page.content.decode()
    assert Generation.objects.count() == 1


def test_a_gateway_token_caller_gets_402_json_and_fal_is_never_called(client, alice):
    secret = tokens.mint(alice, label="app").secret
    give_budget(alice, "3")
    spend(alice, "3.25")

    refused = client.post(
        PROXY, "{}", content_type="application/json",
        HTTP_AUTHORIZATION=f"Key {secret}", HTTP_X_FAL_TARGET_URL=SUBMIT,
    )  # fmt: skip

    assert refused.status_code == 402
    assert refused["Content-Type"] == "application/json"
    assert refused.json() == {
        "detail": "Your monthly budget of $3.00 is reached ($3.25 spent this month); "
        "ask staff to raise it."
    }


@pytest.mark.django_db(transaction=True)
def test_the_lane_answers_token_callers_402_too(alice):
    from tests.gateway.test_lane import call

    secret = tokens.mint(alice, label="app").secret
    give_budget(alice, "3")
    spend(alice, "3")
    headers = {"authorization": f"Key {secret}", "x-fal-target-url": SUBMIT,
               "content-type": "application/json"}  # fmt: skip

    status, _, body = asyncio.run(call(PROXY, headers, b"{}", "POST"))

    assert status == 402
    assert "monthly budget of $3.00 is reached" in json.loads(body)["detail"]


def _admit(url: str, caller: Caller, method: str = "GET", *, memory_only: bool = False):
    request = getattr(RequestFactory(), method.lower())(PROXY, HTTP_X_FAL_TARGET_URL=url)
    identify = lambda memory_only=False: caller  # noqa: E731
    return engine.admit(request, target_of(request, None), identify, memory_only=memory_only)


def test_polls_and_results_of_accepted_requests_go_on_over_budget(alice):
    token = tokens.mint(alice, label="app").token
    accepted = spend(alice, "5", token=token)
    RequestLog.objects.filter(pk=accepted.pk).update(request_id="req-1")
    token.monthly_budget = Decimal("5")
    token.save()
    caller = Caller(alice.pk, token)

    for url in (f"{REQUESTS}/req-1/status", f"{REQUESTS}/req-1"):
        assert _admit(url, caller).row.pk == accepted.pk
    with pytest.raises(Refused) as refused:
        _admit(SUBMIT, caller, "POST")
    assert refused.value.status == 402
    assert str(refused.value).startswith("This token's monthly budget of $5.00 is reached")


def test_the_gateway_remembers_the_spend_and_refuses_from_memory(
    settings, alice, django_assert_num_queries
):
    settings.GATEWAY_CACHE_SECONDS = 60
    settings.PRICE_CACHE_SECONDS = 60
    token = tokens.mint(alice, label="app").token
    token.monthly_budget = Decimal("5")
    token.save()
    caller = Caller(alice.pk, token)
    with pytest.raises(NotRemembered):
        _admit(SUBMIT, caller, "POST", memory_only=True)
    _admit(SUBMIT, caller, "POST")  # looked up once, in a thread where queries are fine
    spend(alice, "6", token=token)

    with django_assert_num_queries(0):
        _admit(SUBMIT, caller, "POST", memory_only=True)  # within the remembered seconds
    token.save()  # a change in this process forgets what was remembered
    with pytest.raises(Refused):
        _admit(SUBMIT, caller, "POST")


@pytest.mark.django_db(transaction=True)
async def test_a_gateway_realtime_session_over_budget_is_closed_4402(alice):
    from asgiref.sync import sync_to_async

    from tests.gateway.test_realtime_relay import closed_with, connect, key_header

    secret = (await sync_to_async(tokens.mint)(alice, label="app")).secret
    await sync_to_async(give_budget)(alice, "1")
    await sync_to_async(spend)(alice, "1")

    communicator, connected, _ = await connect(headers=[key_header(secret)])

    assert connected
    said = json.loads(await communicator.receive_from(timeout=15))
    assert said["error"] == "BUDGET_REACHED" and "ask staff" in said["reason"]
    assert await closed_with(communicator) == 4402


@pytest.mark.django_db(transaction=True)
async def test_a_realtime_page_session_over_budget_is_told_why(settings, alice):
    from asgiref.sync import sync_to_async

    from tests.realtime.test_consumer import Session, connect

    settings.FAL_MODE = "local"
    await sync_to_async(give_budget)(alice, "1")
    await sync_to_async(spend)(alice, "2")

    communicator, connected = await connect(alice)
    session = Session(communicator)
    status, error = await session.next(), await session.next()

    assert connected
    assert status["state"] == "error" and error["code"] == "BUDGET_REACHED"
    assert "Your monthly budget of $1.00 is reached" in error["message"]
    await communicator.disconnect()


# The month.


def test_spending_starts_again_on_the_first_of_the_month_utc(alice):
    give_budget(alice, "10")
    spend(alice, "10", when=MID_NOVEMBER)
    spend(alice, "1", when=FIRST_OF_DECEMBER)

    with pytest.raises(OverBudget):
        check_budgets(alice.pk, now=LAST_SECOND_OF_NOVEMBER)
    check_budgets(alice.pk, now=FIRST_OF_DECEMBER)  # December: $1 of $10

    assert [b.spent for b in budgets_for(alice.pk, now=FIRST_OF_DECEMBER)] == [Decimal(1)]
    assert month_of(LAST_SECOND_OF_NOVEMBER).isoformat() == "2026-11-01"


def test_the_warning_goes_out_again_in_a_new_month(alice):
    alice.email = "alice@example.com"
    alice.save()
    give_budget(alice, "10")
    spend(alice, "9", when=MID_NOVEMBER)
    spend(alice, "9", when=FIRST_OF_DECEMBER)

    check_budgets(alice.pk, now=MID_NOVEMBER)
    check_budgets(alice.pk, now=LAST_SECOND_OF_NOVEMBER)
    check_budgets(alice.pk, now=FIRST_OF_DECEMBER)

    assert len(mail.outbox) == 2
    assert sorted(w.month.isoformat() for w in BudgetWarning.objects.all()) == [
        "2026-11-01", "2026-12-01",
    ]  # fmt: skip


def test_a_budget_raised_after_its_warning_is_warned_about_again_at_80_percent_of_it(alice):
    alice.email = "alice@example.com"
    alice.save()
    give_budget(alice, "10")
    spend(alice, "8")
    check_budgets(alice.pk)  # the warning at $8 of $10
    give_budget(alice, "20")
    forget_everything()  # as the budget form does (a change forgets the budgets looked up)

    spend(alice, "7")
    check_budgets(alice.pk)  # $15 of $20: under 80 %
    sent_under_the_new_80 = len(mail.outbox)
    spend(alice, "1")
    check_budgets(alice.pk)  # $16 of $20
    check_budgets(alice.pk)
    give_budget(alice, "18")  # lowered: nothing new to say at 80 %
    forget_everything()
    check_budgets(alice.pk)

    assert sent_under_the_new_80 == 1
    assert len(mail.outbox) == 2
    assert "$16.00" in mail.outbox[1].body and "$20.00" in mail.outbox[1].body
    amounts = BudgetWarning.objects.order_by("pk").values_list("amount", flat=True)
    assert list(amounts) == [Decimal(10), Decimal(20)]
    assert BudgetNotice.objects.filter(user=alice, dismissed__isnull=True).count() == 2


def test_a_warning_from_before_amounts_were_kept_is_not_sent_again(alice):
    give_budget(alice, "10")
    spend(alice, "9")
    BudgetWarning.objects.create(scope=f"user:{alice.pk}", month=month_of(), message="old")

    check_budgets(alice.pk)

    assert BudgetWarning.objects.count() == 1 and mail.outbox == []


def test_last_months_notice_is_not_shown_this_month(client_alice, alice, monkeypatch):
    from django.utils import timezone

    give_budget(alice, "10")
    spend(alice, "9", when=MID_NOVEMBER)
    check_budgets(alice.pk, now=MID_NOVEMBER)
    monkeypatch.setattr(timezone, "now", lambda: FIRST_OF_DECEMBER)

    page = client_alice.get(reverse("usage:page")).content.decode()

    assert "personal monthly budget of $10.00 is spent" not in page


# Which budgets count.


def test_a_tokens_budget_counts_only_its_own_calls(alice):
    app = tokens.mint(alice, label="app").token
    other = tokens.mint(alice, label="other").token
    app.monthly_budget = Decimal("2")
    app.save()
    spend(alice, "5", token=other)
    spend(alice, "1.99", token=app)

    check_budgets(alice.pk, token=app)
    spend(alice, "0.01", token=app)

    with pytest.raises(OverBudget, match=r"This token's monthly budget of \$2.00"):
        check_budgets(alice.pk, token=app)
    check_budgets(alice.pk, token=other)


def test_a_team_budget_counts_every_members_spend_for_the_team(alice, bob, team):
    team.monthly_budget = Decimal("10")
    team.save()
    spend(alice, "6", team=team)
    spend(bob, "4", team=team)
    spend(bob, "50")  # his own

    with pytest.raises(OverBudget, match="ask an admin of Studio"):
        check_budgets(alice.pk, team_id=team.pk)
    assert spent(month_of(), team_id=team.pk) == Decimal(10)


def test_a_member_budget_counts_only_that_members_spend_for_the_team(alice, bob, team):
    Membership.objects.filter(user=bob, team=team).update(monthly_budget=Decimal("5"))
    spend(alice, "20", team=team)
    spend(bob, "4", team=team)

    check_budgets(bob.pk, team_id=team.pk)
    check_budgets(alice.pk, team_id=team.pk)
    spend(bob, "1", team=team)
    with pytest.raises(OverBudget, match=r"Your monthly budget in Studio of \$5.00"):
        check_budgets(bob.pk, team_id=team.pk)


def test_a_finished_playground_run_counts_its_cost(alice):
    from playground.gateway.requestlog import record_playground_run

    give_budget(alice, "0.10")
    generation = finished(alice, "a fox")
    Generation.objects.filter(pk=generation.pk).update(cost=Decimal("0.12"))
    generation.refresh_from_db()

    record_playground_run(generation)

    with pytest.raises(OverBudget):
        check_budgets(alice.pk)


def test_without_budgets_nothing_is_refused(alice, bob, team):
    spend(alice, "1000")

    check_budgets(alice.pk)
    check_budgets(bob.pk, team_id=team.pk)
    assert budgets_for(alice.pk) == ()


# set_budget.


def test_set_budget_sets_and_clears_a_persons_budget(alice, capsys):
    call_command("set_budget", "--user", "alice", "25")
    assert PersonBudget.objects.get(user=alice).monthly_budget == Decimal("25.00")
    assert capsys.readouterr().out == "Monthly budget of alice (on their own account): $25.00.\n"

    call_command("set_budget", "--user", "alice", "none")
    assert not PersonBudget.objects.exists()
    assert capsys.readouterr().out == "Monthly budget of alice (on their own account): none.\n"


def test_set_budget_on_a_team_and_a_token_is_in_the_team_activity(alice, team):
    token = tokens.mint(alice, label="ci", team=team).token

    call_command("set_budget", "--team", "studio", "100")
    call_command("set_budget", "--token", str(token.pk), "12.5")

    team.refresh_from_db(), token.refresh_from_db()
    assert team.monthly_budget == Decimal("100") and token.monthly_budget == Decimal("12.50")
    entries = Entry.objects.filter(team=team, action=Action.BUDGET_CHANGED).order_by("pk")
    assert [(e.target, e.details["to"], e.actor_name) for e in entries] == [
        ("the team", "100.00", ""), (f"token {token}", "12.50", ""),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--user", "nobody", "5"], "No user named 'nobody'."),
        (["--team", "nope", "5"], "No team with the slug 'nope'."),
        (["--token", "999", "5"], "No access token with the id 999."),
        (["--user", "alice", "lots"], "'lots' is not an amount"),
        (["--user", "alice", "-1"], "A budget is between $0 and"),
        (["--user", "alice", "NaN"], "A budget is between $0 and"),
    ],
)
def test_set_budget_refuses_what_it_cannot_do(alice, args, message):
    with pytest.raises(CommandError, match=message.replace("$", "\\$")):
        call_command("set_budget", *args)


# Staff, in the admin.


@pytest.fixture
def staff_client(client, django_user_model):
    staff = django_user_model.objects.create_superuser("staff", "s@example.com", "pw-staff-1234")
    client.force_login(staff)
    return client


def test_staff_set_a_personal_budget_in_the_admin_and_it_counts_at_once(
    settings, staff_client, alice
):
    settings.GATEWAY_CACHE_SECONDS = 60
    spend(alice, "6")
    check_budgets(alice.pk)  # no budget yet, and remembered

    answer = staff_client.post(
        "/admin/limits/personbudget/add/", {"user": alice.pk, "monthly_budget": "5"}
    )

    assert answer.status_code == 302, answer.content
    with pytest.raises(OverBudget):
        check_budgets(alice.pk)


def test_the_admin_refuses_a_negative_budget(staff_client, alice):
    answer = staff_client.post(
        "/admin/limits/personbudget/add/", {"user": alice.pk, "monthly_budget": "-5"}
    )

    assert answer.status_code == 200
    assert "greater than or equal to 0" in answer.content.decode()
    assert not PersonBudget.objects.exists()


def test_a_persons_admin_page_has_their_budget(staff_client, alice):
    page = staff_client.get(f"/admin/auth/user/{alice.pk}/change/").content.decode()

    assert "budget-TOTAL_FORMS" in page


def test_a_zero_budget_stops_everything_without_a_warning(alice):
    give_budget(alice, "0")

    with pytest.raises(OverBudget, match=r"Your monthly budget of \$0.00 is reached"):
        check_budgets(alice.pk)
    assert mail.outbox == [] and not BudgetWarning.objects.exists()


def test_staff_budget_and_limit_edits_in_the_admin_are_in_the_team_activity(
    staff_client, alice, team
):
    member = Membership.objects.get(user=alice, team=team)
    token = tokens.mint(alice, label="ci", team=team).token

    staff_client.post(
        f"/admin/accounts/membership/{member.pk}/change/",
        {"user": alice.pk, "team": team.pk, "role": member.role, "monthly_budget": "15"},
    )
    staff_client.post(f"/admin/gateway/accesstoken/{token.pk}/change/", {"rate_limit": "9"})

    entries = Entry.objects.filter(actor_name="staff").order_by("pk")
    assert [(e.action, e.target, e.details) for e in entries] == [
        (Action.BUDGET_CHANGED, "alice", {"from": None, "to": "15.00", "per": "month"}),
        (Action.LIMIT_CHANGED, f"token {token}", {"from": None, "to": 9, "per": "minute"}),
    ]


def test_staff_edits_of_a_team_and_its_members_inline_are_in_its_activity(
    staff_client, alice, team
):
    member = Membership.objects.get(user=alice, team=team)
    form = {
        "name": team.name, "slug": team.slug, "monthly_budget": "250",
        "memberships-TOTAL_FORMS": "1", "memberships-INITIAL_FORMS": "1",
        "memberships-MIN_NUM_FORMS": "0", "memberships-MAX_NUM_FORMS": "1000",
        "memberships-0-id": member.pk, "memberships-0-team": team.pk,
        "memberships-0-user": alice.pk, "memberships-0-role": member.role,
        "memberships-0-rate_limit": "30",
    }  # fmt: skip

    answer = staff_client.post(f"/admin/accounts/team/{team.pk}/change/", form)

    assert answer.status_code == 302, answer.content
    entries = Entry.objects.filter(actor_name="staff").order_by("pk")
    assert [(e.action, e.target, e.details["to"]) for e in entries] == [
        (Action.BUDGET_CHANGED, "the team", "250.00"), (Action.LIMIT_CHANGED, "alice", 30),
    ]  # fmt: skip
