"""/accounts/invitations/: staff invite people to make an account, without a team.

With SIGNUP=invite (the default in production) an invitation is the only way in; team
admins invite to their team, staff also to Playground alone. 404 for everyone else.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from playground.accounts import actions
from playground.accounts.forms import AccountInvitationForm
from playground.accounts.models import Invitation
from playground.accounts.team_views import join_url_for


def _staff_only(request: HttpRequest) -> None:
    if not request.user.is_staff:
        raise Http404("No such page.")


def _pending(request: HttpRequest) -> list[Invitation]:
    pending = Invitation.objects.filter(
        team=None, revoked=False, accepted_at__isnull=True, expires__gt=timezone.now()
    ).select_related("created_by")
    invitations = list(pending)
    for invitation in invitations:
        invitation.url = join_url_for(request, invitation)
    return invitations


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def account_invitations(request: HttpRequest) -> HttpResponse:
    """The form (an emailed invitation, or a link when no address is given) and the
    pending invitations without a team."""
    _staff_only(request)
    form = AccountInvitationForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        email = form.cleaned_data["email"]
        invitation = actions.create_account_invitation(
            actor=request.user, days=form.cleaned_data["days"], email=email
        )
        if email:
            url = join_url_for(request, invitation)
            actions.send_invitation_email(invitation=invitation, join_url=url)
            messages.success(request, f"Invitation sent to {email}.")
        else:
            messages.success(request, "Invite link created. Copy it and send it to them.")
        return redirect("account_invitations")
    context = {"form": form, "invitations": _pending(request)}
    return render(request, "accounts/invitations.html", context)


@login_required
@require_POST
def revoke_account_invitation(request: HttpRequest, pk: int) -> HttpResponse:
    _staff_only(request)
    invitation = get_object_or_404(Invitation, pk=pk, team=None)
    actions.revoke_account_invitation(actor=request.user, invitation=invitation)
    messages.success(request, "Invitation revoked: its link no longer works.")
    return redirect("account_invitations")
