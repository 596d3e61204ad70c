"""The team's "Limits and budgets" page (/teams/<slug>/limits/): the team's monthly budget,
each member's budget and rate limit, each team token's budget and rate limit, with this
month's spend against each.

Every member sees it; owners and admins ("manage_limits") edit it; outsiders get 404
(teams.membership_for). A form with errors shows the page again with them (422).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST, require_safe

from playground.accounts.models import Membership
from playground.accounts.teams import membership_for
from playground.gateway.models import AccessToken
from playground.limits import actions
from playground.limits.budgets import Meter, month_of, spent, spent_by
from playground.limits.forms import MemberLimitsForm, TeamBudgetForm, TokenLimitsForm
from playground.limits.models import BudgetNotice


@dataclass
class Row:
    """A member or a token, its meter, and its form (None for those who only read)."""

    item: Any
    meter: Meter
    form: MemberLimitsForm | TokenLimitsForm | None


@login_required
@require_safe
def team_limits(request: HttpRequest, slug: str) -> HttpResponse:
    me = membership_for(request.user, slug)
    return render(request, "limits/team.html", _context(me))


@login_required
@require_POST
def team_budget(request: HttpRequest, slug: str) -> HttpResponse:
    me = membership_for(request.user, slug, "manage_limits")
    form = TeamBudgetForm(request.POST, prefix="team")
    if not form.is_valid():
        return _again(request, me, team_form=form)
    amount = form.cleaned_data["budget"]
    if actions.set_team_budget(actor=request.user, team=me.team, amount=amount):
        messages.success(request, "The team's monthly budget is saved.")
    return _done(me, "team-budget")


@login_required
@require_POST
def member_limits(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    me = membership_for(request.user, slug, "manage_limits")
    members = Membership.objects.select_related("user", "team")
    member = get_object_or_404(members, pk=pk, team=me.team)
    form = MemberLimitsForm(request.POST, prefix=f"member-{member.pk}")
    if not form.is_valid():
        return _again(request, me, forms={("member", member.pk): form})
    data = form.cleaned_data
    if actions.set_member_limits(
        actor=request.user, member=member, budget=data["budget"], rate_limit=data["rate_limit"]
    ):
        messages.success(request, f"Limits of {member.user.get_username()} saved.")
    return _done(me, f"member-{member.pk}")


@login_required
@require_POST
def token_limits(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    me = membership_for(request.user, slug, "manage_limits")
    token = get_object_or_404(AccessToken.objects.select_related("team"), pk=pk, team=me.team)
    form = TokenLimitsForm(request.POST, prefix=f"token-{token.pk}")
    if not form.is_valid():
        return _again(request, me, forms={("token", token.pk): form})
    data = form.cleaned_data
    if actions.set_token_limits(
        actor=request.user, token=token, budget=data["budget"], rate_limit=data["rate_limit"]
    ):
        messages.success(request, f"Limits of the token {token} saved.")
    return _done(me, f"token-{token.pk}")


def _again(request: HttpRequest, me: Membership, **forms: Any) -> HttpResponse:
    return render(request, "limits/team.html", _context(me, **forms), status=422)


def _done(me: Membership, anchor: str) -> HttpResponse:
    return redirect(reverse("teams:limits", args=[me.team.slug]) + f"#{anchor}")


def _context(
    me: Membership, team_form: TeamBudgetForm | None = None, forms: dict | None = None
) -> dict[str, Any]:
    team, month, can_edit = me.team, month_of(), me.can("manage_limits")
    forms = forms or {}
    if can_edit and team_form is None:
        team_form = TeamBudgetForm(initial={"budget": team.monthly_budget}, prefix="team")
    by_user = spent_by(month, "user_id", team_id=team.pk)
    by_token = spent_by(month, "token_id", team_id=team.pk)
    return {
        "team": team,
        "me": me,
        "can_edit": can_edit,
        "month": month,
        "team_meter": Meter(spent(month, team_id=team.pk), team.monthly_budget),
        "team_form": team_form if can_edit else None,
        "members": [_member_row(m, by_user, forms, can_edit) for m in _members(team)],
        "tokens": [_token_row(t, by_token, forms, can_edit) for t in _tokens(team)],
    }


def _members(team) -> list[Membership]:
    return list(team.memberships.select_related("user").order_by("user__username"))


def _tokens(team) -> list[AccessToken]:
    live = AccessToken.objects.filter(team=team, revoked__isnull=True).select_related("user")
    return list(live.order_by("label", "pk"))


def _member_row(member: Membership, by_user: dict, forms: dict, can_edit: bool) -> Row:
    form = forms.get(("member", member.pk))
    if can_edit and form is None:
        initial = {"budget": member.monthly_budget, "rate_limit": member.rate_limit}
        form = MemberLimitsForm(initial=initial, prefix=f"member-{member.pk}")
    meter = Meter(by_user.get(member.user_id, Decimal(0)), member.monthly_budget)
    return Row(member, meter, form if can_edit else None)


def _token_row(token: AccessToken, by_token: dict, forms: dict, can_edit: bool) -> Row:
    form = forms.get(("token", token.pk))
    if can_edit and form is None:
        initial = {"budget": token.monthly_budget, "rate_limit": token.rate_limit}
        form = TokenLimitsForm(initial=initial, prefix=f"token-{token.pk}")
    meter = Meter(by_token.get(token.pk, Decimal(0)), token.monthly_budget)
    return Row(token, meter, form if can_edit else None)


@login_required
@require_POST
def dismiss_notice(request: HttpRequest, pk: int) -> HttpResponse:
    """Hide a budget warning from the page banner (the person's own notices only: 404)."""
    notice = get_object_or_404(BudgetNotice, pk=pk, user=request.user)
    if notice.dismissed is None:
        notice.dismissed = timezone.now()
        notice.save(update_fields=["dismissed"])
    if request.htmx:
        return HttpResponse("")
    return redirect(_back(request))


def _back(request: HttpRequest) -> str:
    target = request.POST.get("next", "")
    safe = url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure())
    return target if target and safe else reverse("home")
