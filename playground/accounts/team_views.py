"""Team pages: my teams, one team (members, invitations, fal key, settings), joining.

Every view finds its team through `teams.membership_for`, so outsiders get 404 and members
lacking the right get 403. Writes are POST only; after one, a normal request is redirected
back to the page, an htmx request gets the section it changed.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.db.models import Count, Exists, OuterRef
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from playground.accounts import actions
from playground.accounts.forms import (
    DeleteTeamForm,
    FalKeyForm,
    InvitationForm,
    TeamForm,
    TeamSettingsForm,
)
from playground.accounts.key_views import KEY_PARTIAL, key_context
from playground.accounts.models import FalCredential, Invitation, Membership, Role
from playground.accounts.teams import RANK, assignable_roles, can_manage, membership_for


def join_url_for(request: HttpRequest, invitation: Invitation) -> str:
    """The absolute invite link: PUBLIC_BASE_URL when set, else this request's host."""
    path = reverse("teams:join", args=[invitation.token])
    if settings.PUBLIC_BASE_URL:
        return settings.PUBLIC_BASE_URL + path
    return request.build_absolute_uri(path)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def team_list(request: HttpRequest) -> HttpResponse:
    """My teams with my role and member counts, and the form to create one."""
    form = TeamForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        try:
            team = actions.create_team(user=request.user, name=form.cleaned_data["name"])
        except actions.TeamRuleError as error:
            form.add_error("name", str(error))
        else:
            messages.success(request, f"Team “{team.name}” created. Invite people to join it.")
            return redirect("teams:detail", team.slug)
    mine = (
        Membership.objects.filter(user=request.user)
        .select_related("team")
        .annotate(
            member_count=Count("team__memberships"),
            has_key=Exists(FalCredential.objects.filter(team_id=OuterRef("team_id"))),
        )
        .order_by("team__name", "team_id")
    )
    return render(request, "teams/list.html", {"memberships": mine, "form": form})


def _members(me: Membership) -> list[Membership]:
    members = list(me.team.memberships.select_related("user"))
    members.sort(key=lambda m: (-RANK[m.role], m.user.get_username().lower()))
    roles = assignable_roles(me)
    for member in members:
        member.is_me = member.pk == me.pk
        member.manageable = can_manage(me, member)
        member.role_choices = roles
    return members


def _pending_invitations(request: HttpRequest, me: Membership) -> list[Invitation]:
    if not me.can("manage_members"):
        return []
    pending = (
        me.team.invitations.filter(revoked=False, expires__gt=timezone.now())
        .exclude(accepted_at__isnull=False)
        .select_related("created_by")
    )
    invitations = list(pending)
    for invitation in invitations:
        invitation.url = join_url_for(request, invitation)
    return invitations


def _detail_context(request: HttpRequest, me: Membership, **forms) -> dict:
    team = me.team
    roles = assignable_roles(me)
    context = {
        "team": team,
        "me": me,
        "members": _members(me),
        "invitations": _pending_invitations(request, me),
        "can_manage_members": me.can("manage_members"),
        "link_form": InvitationForm(roles=roles, by_email=False, prefix="link"),
        "email_form": InvitationForm(roles=roles, by_email=True, prefix="email"),
        "settings_form": TeamSettingsForm(instance=team, prefix="settings"),
        "delete_form": DeleteTeamForm(team=team, prefix="delete"),
        "last_owner": me.role == Role.OWNER
        and not team.memberships.filter(role=Role.OWNER).exclude(pk=me.pk).exists(),
        **_team_key_context(me),
    }
    context.update(forms)
    return context


def _show(request: HttpRequest, me: Membership, section: str, **forms) -> HttpResponse:
    """The page (or, for htmx, the section) again, e.g. with a form's errors."""
    template = f"teams/detail.html#{section}" if request.htmx else "teams/detail.html"
    return render(request, template, _detail_context(request, me, **forms))


def _done(request: HttpRequest, me: Membership, section: str, **extra) -> HttpResponse:
    """After a successful write: the changed section for htmx, else back to the page."""
    if request.htmx:
        return _show(request, me, section, **extra)
    return redirect(reverse("teams:detail", args=[me.team.slug]) + f"#{section}")


@login_required
@require_safe
def team_detail(request: HttpRequest, slug: str) -> HttpResponse:
    me = membership_for(request.user, slug)
    return render(request, "teams/detail.html", _detail_context(request, me))


def _target(me: Membership, pk: int) -> Membership:
    return get_object_or_404(Membership.objects.select_related("user"), pk=pk, team=me.team)


@login_required
@require_POST
def change_role(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    me = membership_for(request.user, slug, "manage_members")
    target = _target(me, pk)
    role = request.POST.get("role", "")
    try:
        actions.change_role(actor=me, target=target, role=role)
    except actions.TeamRuleError as error:
        messages.error(request, str(error))
    else:
        name = target.user.get_username()
        messages.success(request, f"{name} is now {target.get_role_display().lower()}.")
    return _done(request, me, "members")


@login_required
@require_POST
def remove_member(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    me = membership_for(request.user, slug, "manage_members")
    target = _target(me, pk)
    try:
        actions.remove_member(actor=me, target=target)
    except actions.TeamRuleError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"{target.user.get_username()} was removed from the team.")
    return _done(request, me, "members")


@login_required
@require_POST
def leave_team(request: HttpRequest, slug: str) -> HttpResponse:
    me = membership_for(request.user, slug)
    try:
        actions.leave_team(membership=me)
    except actions.TeamRuleError as error:
        messages.error(request, str(error))
        return redirect("teams:detail", slug)
    messages.info(request, f"You left “{me.team.name}”.")
    return redirect("teams:list")


@login_required
@require_POST
def invite_link(request: HttpRequest, slug: str) -> HttpResponse:
    me = membership_for(request.user, slug, "manage_members")
    form = InvitationForm(request.POST, roles=assignable_roles(me), by_email=False, prefix="link")
    if not form.is_valid():
        return _show(request, me, "invitations", link_form=form)
    invitation = actions.create_invitation(
        actor=me, role=form.cleaned_data["role"], days=form.cleaned_data["days"]
    )
    messages.success(request, "Invite link created. Copy it and send it to the people you want.")
    return _done(request, me, "invitations", fresh_invitation=invitation.pk)


@login_required
@require_POST
def invite_email(request: HttpRequest, slug: str) -> HttpResponse:
    me = membership_for(request.user, slug, "manage_members")
    form = InvitationForm(request.POST, roles=assignable_roles(me), by_email=True, prefix="email")
    if not form.is_valid():
        return _show(request, me, "invitations", email_form=form)
    invitation = actions.create_invitation(
        actor=me,
        role=form.cleaned_data["role"],
        days=form.cleaned_data["days"],
        email=form.cleaned_data["email"],
    )
    actions.send_invitation_email(invitation=invitation, join_url=join_url_for(request, invitation))
    messages.success(request, f"Invitation sent to {invitation.email}.")
    return _done(request, me, "invitations", fresh_invitation=invitation.pk)


@login_required
@require_POST
def revoke_invitation(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    me = membership_for(request.user, slug, "manage_members")
    invitation = get_object_or_404(Invitation, pk=pk, team=me.team)
    actions.revoke_invitation(actor=me, invitation=invitation)
    messages.success(request, "Invitation revoked: its link no longer works.")
    return _done(request, me, "invitations")


@login_required
@require_POST
def team_settings(request: HttpRequest, slug: str) -> HttpResponse:
    # Settings are for owners only: "delete_team" is the right only owners hold.
    me = membership_for(request.user, slug, "delete_team")
    form = TeamSettingsForm(request.POST, instance=me.team, prefix="settings")
    if not form.is_valid():
        return _show(request, me, "settings", settings_form=form)
    actions.save_team_settings(actor=me, form=form)
    messages.success(request, "Team settings saved.")
    return _done(request, me, "settings")


@login_required
@require_POST
def delete_team(request: HttpRequest, slug: str) -> HttpResponse:
    me = membership_for(request.user, slug, "delete_team")
    form = DeleteTeamForm(request.POST, team=me.team, prefix="delete")
    if not form.is_valid():
        return _show(request, me, "settings", delete_form=form)
    actions.delete_team(actor=me)
    messages.success(request, f"Team “{me.team.name}” was deleted.")
    return redirect("teams:list")


@require_http_methods(["GET", "HEAD", "POST"])
def join(request: HttpRequest, token: str) -> HttpResponse:
    """Accept an invitation: 404 for an unknown token, 410 for an unusable one, 403 for an
    emailed one opened by an account with another address. A visitor who is not signed in
    is most likely new: the sign-up page (which joins the team on the way, and links to
    log in instead) unless the invitation was emailed to an address with an account."""
    invitation = Invitation.objects.select_related("team", "created_by").filter(token=token)
    invitation = invitation.first()
    if not request.user.is_authenticated:
        if invitation is not None and not _has_account(invitation.email):
            return redirect_to_login(request.get_full_path(), login_url=reverse("signup"))
        return redirect_to_login(request.get_full_path())
    if invitation is None:
        return render(request, "teams/join.html", {"state": "unknown"}, status=404)
    context = {"invitation": invitation, "team": invitation.team}
    if invitation.team is None:
        if request.method == "POST":
            return redirect("home")
        return render(request, "teams/join.html", {**context, "state": "account"})
    if Membership.objects.filter(user=request.user, team=invitation.team).exists():
        if request.method == "POST":
            messages.info(request, f"You are already in “{invitation.team.name}”.")
            return redirect("teams:detail", invitation.team.slug)
        return render(request, "teams/join.html", {**context, "state": "member"})
    problem = actions.invitation_problem(invitation)
    if problem:
        return _gone(request, context, problem, 410)
    wrong_address = actions.address_problem(invitation, request.user)
    if wrong_address:
        return _gone(request, context, wrong_address, 403)
    if request.method == "POST":
        return _accept(request, invitation, context)
    return render(request, "teams/join.html", {**context, "state": "ready"})


def _has_account(email: str) -> bool:
    return bool(email) and get_user_model().objects.filter(email__iexact=email).exists()


def _gone(request: HttpRequest, context: dict, problem: str, status: int) -> HttpResponse:
    context = {**context, "state": "gone", "problem": problem, "ask_again": status == 410}
    return render(request, "teams/join.html", context, status=status)


def _accept(request: HttpRequest, invitation: Invitation, context: dict) -> HttpResponse:
    try:
        joined, _created = actions.accept_invitation(user=request.user, invitation=invitation)
    except actions.WrongAddress as error:
        return _gone(request, context, str(error), 403)
    except actions.InvitationUnusable as error:
        return _gone(request, context, str(error), 410)
    team = invitation.team
    role = joined.get_role_display().lower()
    messages.success(request, f"Welcome to “{team.name}”! You joined as {role}.")
    return redirect("teams:detail", team.slug)


def _team_key_context(me: Membership, form: FalKeyForm | None = None) -> dict:
    return key_context(
        credential=FalCredential.objects.filter(team=me.team).first(),
        can_manage=me.can("manage_keys"),
        set_url=reverse("teams:key", args=[me.team.slug]),
        remove_url=reverse("teams:key_remove", args=[me.team.slug]),
        team=me.team,
        form=form,
    )


def _team_key_done(request: HttpRequest, me: Membership, form=None) -> HttpResponse:
    if request.htmx:
        return render(request, KEY_PARTIAL, _team_key_context(me, form))
    if form is not None:
        return _show(request, me, "fal-key", **_team_key_context(me, form))
    return redirect(reverse("teams:detail", args=[me.team.slug]) + "#fal-key")


@login_required
@sensitive_post_parameters("key")
@require_POST
def team_key(request: HttpRequest, slug: str) -> HttpResponse:
    me = membership_for(request.user, slug, "manage_keys")
    form = FalKeyForm(request.POST)
    if not form.is_valid():
        return _team_key_done(request, me, form)
    credential = actions.set_fal_key(key=form.cleaned_data["key"], team=me.team, actor=request.user)
    messages.success(request, f"The team fal key ending in {credential.last4} is saved.")
    return _team_key_done(request, me)


@login_required
@require_POST
def team_key_remove(request: HttpRequest, slug: str) -> HttpResponse:
    me = membership_for(request.user, slug, "manage_keys")
    if actions.remove_fal_key(team=me.team, actor=request.user):
        messages.success(request, "The team fal key was removed.")
    else:
        messages.info(request, "The team had no fal key stored.")
    return _team_key_done(request, me)
