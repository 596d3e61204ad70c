"""Personal access tokens in the person's settings: create (shown once), list, revoke."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from playground.accounts.models import Membership, Team
from playground.gateway import tokens
from playground.gateway.models import AccessToken

EXPIRY_CHOICES = [("", "Never"), ("30", "In 30 days"), ("90", "In 90 days"), ("365", "In a year")]


class TokenForm(forms.Form):
    label = forms.CharField(
        max_length=80,
        required=False,
        help_text="What uses it, so you know which to revoke (e.g. “staging app”).",
    )
    team = forms.ModelChoiceField(
        queryset=Team.objects.none(),
        required=False,
        empty_label="None: my own key",
        help_text="Calls with a team token use and are billed to the team's fal key.",
    )
    expires = forms.ChoiceField(choices=EXPIRY_CHOICES, required=False, label="Expires")

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        runnable = Membership.objects.filter(user=user).values_list("team_id", "role")
        team_ids = [team_id for team_id, role in runnable if Membership(role=role).can("run")]
        self.fields["team"].queryset = Team.objects.filter(pk__in=team_ids)

    def expiry(self):
        days = self.cleaned_data.get("expires")
        return timezone.now() + timedelta(days=int(days)) if days else None


NEW_TOKEN_KEY = "gateway_new_token"


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def tokens_page(request: HttpRequest) -> HttpResponse:
    form = TokenForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            minted = tokens.mint(
                request.user,
                label=form.cleaned_data["label"],
                team=form.cleaned_data["team"],
                expires=form.expiry(),
            )
        except tokens.TokenRefused as refusal:
            form.add_error(None, str(refusal))
        else:
            # Post/redirect/get, so a reload cannot make a second token; the secret rides
            # in the session to the next page view only, then it is gone.
            request.session[NEW_TOKEN_KEY] = {"id": minted.token.pk, "secret": minted.secret}
            return redirect("gateway:tokens")
    listed = AccessToken.objects.filter(user=request.user).select_related("team")
    return render(
        request,
        "gateway/tokens.html",
        {
            "form": form,
            "new_secret": request.session.pop(NEW_TOKEN_KEY, {}).get("secret", ""),
            "tokens": listed,
            "proxy_url": request.build_absolute_uri("/api/fal/proxy"),
            "route_url": request.build_absolute_uri("/gateway/fal"),
        },
    )


@login_required
@require_POST
def revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    if not tokens.revoke(request.user, token_id):
        raise Http404("No such token")
    messages.success(request, "Token revoked: apps using it are refused from now on.")
    return redirect("gateway:tokens")
