"""Every write to teams, memberships, invitations and stored fal keys.

Rights are checked here too (not only in views), so a forged POST meets the same rules:
PermissionDenied for what a role may never do, TeamRuleError for what the team's state
forbids right now (the last owner leaving, a used invitation).
"""

from __future__ import annotations

import unicodedata
from datetime import timedelta
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.mail import send_mail
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from playground.accounts.live import access_changed_on_commit
from playground.accounts.models import FalCredential, Invitation, Membership, Role, Team
from playground.accounts.teams import RANK, can_manage
from playground.activity.actions import record
from playground.activity.models import Action

# Slugs that would shadow a URL under /teams/.
RESERVED_SLUGS = frozenset({"join", "new"})


class TeamRuleError(Exception):
    """A write the team's current state forbids; the message is meant for the person."""


class InvitationUnusable(TeamRuleError):
    """The invitation expired, was revoked or (an emailed one) was already used."""


class WrongAddress(InvitationUnusable):
    """An emailed invitation opened by an account with another email address."""


def invitation_problem(invitation: Invitation) -> str | None:
    """Why an invitation cannot be used, in words, or None when it can."""
    if invitation.revoked:
        return "This invitation was revoked" + (" by the team." if invitation.team_id else ".")
    if invitation.expires <= timezone.now():
        return "This invitation has expired."
    if invitation.email and invitation.accepted_at:
        return "This invitation was already used."
    return None


def same_address(first: str, second: str) -> bool:
    return first.strip().lower() == second.strip().lower()


def address_problem(invitation: Invitation, user) -> str | None:
    """Why `user` may not accept an emailed invitation (it binds to its address), or None."""
    if not invitation.email or same_address(invitation.email, user.email or ""):
        return None
    return (
        "This invitation was sent to another email address: log in with the account that "
        "uses it (or sign up with it) to accept."
    )


def unique_slug(name: str) -> str:
    base = slugify(name)[:70].strip("-") or "team"
    if base in RESERVED_SLUGS:
        base = f"{base}-team"
    slug, n = base, 1
    while Team.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


def create_team(*, user, name: str) -> Team:
    """A new team named `name` with a unique slug; its creator is its owner."""
    for _attempt in range(5):
        try:
            with transaction.atomic():
                team = Team.objects.create(name=name.strip(), slug=unique_slug(name))
                Membership.objects.create(user=user, team=team, role=Role.OWNER)
                record(team, user, Action.TEAM_CREATED, target=team.name)
                return team
        except IntegrityError:
            # Someone took the same slug between our check and our insert; pick again.
            continue
    raise TeamRuleError("Could not find a free address for this team; try another name.")


def _owners_locked(team_id: int) -> list[Membership]:
    return list(Membership.objects.select_for_update().filter(team_id=team_id, role=Role.OWNER))


def _check_not_last_owner(target: Membership, what: str) -> None:
    owners = _owners_locked(target.team_id)
    if target.role == Role.OWNER and len(owners) <= 1:
        raise TeamRuleError(f"A team needs an owner: make someone else owner before {what}.")


def change_role(*, actor: Membership, target: Membership, role: str) -> None:
    """Give `target` the role `role`. Nobody hands out more than they hold."""
    if role not in RANK:
        raise PermissionDenied("Unknown role.")
    if not can_manage(actor, target) or RANK[role] > RANK[actor.role]:
        raise PermissionDenied("Your role cannot make this change.")
    with transaction.atomic():
        if role != Role.OWNER:
            _check_not_last_owner(target, "changing this role")
        Membership.objects.filter(pk=target.pk).update(role=role)
        access_changed_on_commit([target.user_id])  # update() sends no post_save
        if role != target.role:
            details = {"from": target.role, "to": role}
            record(
                actor.team_id,
                actor.user,
                Action.ROLE_CHANGED,
                target=_name(target),
                details=details,
            )
    target.role = role


def remove_member(*, actor: Membership, target: Membership) -> None:
    if not can_manage(actor, target):
        raise PermissionDenied("Your role cannot remove this member.")
    with transaction.atomic():
        _check_not_last_owner(target, "removing them")
        target.delete()
        details = {"role": target.role}
        record(
            actor.team_id, actor.user, Action.MEMBER_REMOVED, target=_name(target), details=details
        )


def _name(member: Membership) -> str:
    return member.user.get_username()


def leave_team(*, membership: Membership) -> None:
    with transaction.atomic():
        _check_not_last_owner(membership, "leaving")
        membership.delete()
        details = {"role": membership.role}
        record(membership.team_id, membership.user, Action.MEMBER_LEFT, details=details)


def create_invitation(*, actor: Membership, role: str, days: int, email: str = "") -> Invitation:
    """An invite link (no email: usable by anyone until it expires) or an emailed invite
    (usable once)."""
    if not actor.can("manage_members") or RANK.get(role, 99) > RANK[actor.role]:
        raise PermissionDenied("Your role cannot invite people with this role.")
    with transaction.atomic():
        invitation = Invitation.objects.create(
            team_id=actor.team_id,
            role=role,
            email=email,
            created_by=actor.user,
            expires=timezone.now() + timedelta(days=days),
        )
        record(
            actor.team_id,
            actor.user,
            Action.MEMBER_INVITED,
            target=email or "an invite link",
            details=_invitation_facts(invitation),
        )
    return invitation


def _invitation_facts(invitation: Invitation) -> dict[str, Any]:
    """What the activity log says of an invitation (never its token: that is the link)."""
    return {
        "role": invitation.role,
        "by": "email" if invitation.email else "link",
        "expires": invitation.expires,
    }


def create_account_invitation(*, actor, days: int, email: str = "") -> Invitation:
    """An invitation to make an account, without a team: staff only (sign-up by
    invitation lets in whoever holds one)."""
    if not getattr(actor, "is_staff", False):
        raise PermissionDenied("Only staff can invite people without a team.")
    return Invitation.objects.create(
        team=None, email=email, created_by=actor, expires=timezone.now() + timedelta(days=days)
    )


def revoke_account_invitation(*, actor, invitation: Invitation) -> None:
    if not getattr(actor, "is_staff", False) or invitation.team_id is not None:
        raise PermissionDenied("Only staff can revoke invitations without a team.")
    Invitation.objects.filter(pk=invitation.pk).update(revoked=True)
    invitation.revoked = True


def send_invitation_email(*, invitation: Invitation, join_url: str) -> None:
    """Mail the invite link through settings.EMAIL_BACKEND (the console, locally)."""
    inviter = invitation.created_by.get_username() if invitation.created_by else "Someone"
    team = invitation.team
    if team is None:
        subject = f"{inviter} invited you to Playground"
        what = f"{inviter} invited you to make an account on Playground."
        how = "Sign up here"
    else:
        subject = f"{inviter} invited you to {team.name} on Playground"
        what = (
            f"{inviter} invited you to join the team “{team.name}” on Playground "
            f"as {invitation.get_role_display().lower()}."
        )
        how = "Accept the invitation here (you can sign up on the way)"
    send_mail(
        # A header is one line: names made before the forms refused line breaks (or set in
        # the admin) must not break the subject into headers of their own.
        subject=_one_line(subject),
        message=(
            f"{what}\n\n{how}, with this email address:\n{join_url}\n\n"
            f"The link works once and expires on {invitation.expires:%d %B %Y}.\n"
        ),
        from_email=None,
        recipient_list=[invitation.email],
    )


BREAKS = ("Cc", "Zl", "Zp")  # control characters, line and paragraph separators


def _one_line(text: str) -> str:
    """`text` with every run of whitespace, line breaks and control characters made one
    space."""
    printable = "".join(" " if unicodedata.category(char) in BREAKS else char for char in text)
    return " ".join(printable.split())


def revoke_invitation(*, actor: Membership, invitation: Invitation) -> None:
    if not actor.can("manage_members") or invitation.team_id != actor.team_id:
        raise PermissionDenied("Your role cannot revoke invitations.")
    with transaction.atomic():
        Invitation.objects.filter(pk=invitation.pk).update(revoked=True)
        record(
            actor.team_id,
            actor.user,
            Action.INVITATION_REVOKED,
            target=invitation.email or "an invite link",
            details=_invitation_facts(invitation),
        )
    invitation.revoked = True


def accept_invitation(*, user, invitation: Invitation) -> tuple[Membership | None, bool]:
    """Join the invitation's team with its role: (membership, created); (None, True) for
    an invitation without a team. Someone already in the team keeps the role they have.
    Raises InvitationUnusable, WrongAddress for an account with another email."""
    with transaction.atomic():
        invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
        existing = Membership.objects.filter(user=user, team_id=invitation.team_id).first()
        if existing is not None:
            return existing, False
        problem = invitation_problem(invitation)
        if problem:
            raise InvitationUnusable(problem)
        wrong_address = address_problem(invitation, user)
        if wrong_address:
            raise WrongAddress(wrong_address)
        joined = None
        if invitation.team_id is not None:
            joined = Membership.objects.create(
                user=user, team_id=invitation.team_id, role=invitation.role
            )
            inviter = invitation.created_by.get_username() if invitation.created_by else ""
            details = {**_invitation_facts(invitation), "invited_by": inviter}
            record(invitation.team_id, user, Action.MEMBER_JOINED, details=details)
        if invitation.email:
            invitation.accepted_by = user
            invitation.accepted_at = timezone.now()
            invitation.save(update_fields=["accepted_by", "accepted_at"])
        return joined, True


def save_team_settings(*, actor: Membership, form) -> Team:
    """Save a valid TeamSettingsForm (owners only). A new name and a showcase published
    or withdrawn go into the team's activity log."""
    if not actor.can("delete_team"):
        raise PermissionDenied("Only owners change the team's settings.")
    old_name = form.initial.get("name", "")
    with transaction.atomic():
        team = form.save()
        if team.name != old_name:
            details = {"from": old_name, "to": team.name}
            record(team, actor.user, Action.TEAM_RENAMED, target=team.name, details=details)
        if team.showcase_public != form.initial.get("showcase_public"):
            _record_showcase(team, actor.user)
    return team


def set_showcase_public(*, team: Team, user, public: bool) -> bool:
    """Publish (or withdraw) the team's showcase page; the caller checked the `curate`
    right. False when it already was as asked (nothing is written or logged)."""
    with transaction.atomic():
        changed = Team.objects.filter(pk=team.pk).exclude(showcase_public=public)
        if not changed.update(showcase_public=public):
            team.showcase_public = public
            return False
        team.showcase_public = public
        _record_showcase(team, user)
    return True


def _record_showcase(team: Team, user) -> None:
    if team.showcase_public:
        url = reverse("gallery:showcase", args=[team.slug])
        record(team, user, Action.SHOWCASE_PUBLISHED, target=team.name, target_url=url)
    else:
        record(team, user, Action.SHOWCASE_WITHDRAWN, target=team.name)


def delete_team(*, actor: Membership) -> None:
    """The team goes; its generations stay with the people who made them, private again
    (link and public shares keep working), off any showcase."""
    from playground.jobs.models import Generation, Visibility

    if not actor.can("delete_team"):
        raise PermissionDenied("Only owners can delete the team.")
    with transaction.atomic():
        posted = Generation.objects.filter(team_id=actor.team_id)
        posted.filter(visibility=Visibility.TEAM).update(visibility=Visibility.PRIVATE)
        posted.update(team=None, in_showcase=False)
        Team.objects.filter(pk=actor.team_id).delete()


def set_fal_key(*, key: str, user=None, team: Team | None = None, actor=None) -> FalCredential:
    """Store (or replace) the fal key of a person or a team, encrypted. A team's change
    goes into its activity log under `actor` (who did it; None for the system)."""
    if (user is None) == (team is None):
        raise ValueError("A fal key belongs to exactly one person or one team.")
    holder = {"user": user} if user is not None else {"team": team}
    with transaction.atomic():
        credential = FalCredential.objects.filter(**holder).first() or FalCredential(**holder)
        replaced = credential.pk is not None
        credential.set_key(key)
        credential.save()
        if team is not None:
            details = {"last4": credential.last4, "replaced": replaced}
            record(team, actor, Action.TEAM_KEY_SET, target=f"…{credential.last4}", details=details)
    return credential


def remove_fal_key(*, user=None, team: Team | None = None, actor=None) -> bool:
    """Forget a stored fal key; False when there was none. As `set_fal_key` for `actor`."""
    if (user is None) == (team is None):
        raise ValueError("A fal key belongs to exactly one person or one team.")
    holder = {"user": user} if user is not None else {"team": team}
    with transaction.atomic():
        last4 = FalCredential.objects.filter(**holder).values_list("last4", flat=True).first()
        deleted, _ = FalCredential.objects.filter(**holder).delete()
        if deleted and team is not None:
            details = {"last4": last4}
            record(team, actor, Action.TEAM_KEY_REMOVED, target=f"…{last4}", details=details)
    return bool(deleted)


class SignupRefused(Exception):
    """Sign-up is not open to this visitor (any more); the message is meant for them."""


# Any constant: the Postgres advisory lock that makes concurrent sign-ups take turns.
_SIGNUP_LOCK = 0x5167_6E75


def _sign_ups_take_turns() -> None:
    """Two sign-ups on a fresh install must not both become the first account. SQLite
    already runs write transactions one at a time (transaction_mode IMMEDIATE)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_SIGNUP_LOCK])


def sign_up(*, form, invitation: Invitation | None) -> tuple[Any, Membership | None]:
    """Create the account of a valid SignupForm: (user, membership of the invitation's
    team or None). The first account of the install becomes its administrator; an
    invitation it came with is accepted on the way. Raises SignupRefused (settings.SIGNUP
    and the invitation decide) or InvitationUnusable; either way nothing is created."""
    from playground.accounts.signup import FIRST, signup_gate

    with transaction.atomic():
        _sign_ups_take_turns()
        gate = signup_gate(invitation)
        if not gate.allowed:
            raise SignupRefused(gate.problem or "Sign-up is not open on this server.")
        user = form.save(commit=False)
        user.is_staff = user.is_superuser = gate.state == FIRST
        user.save()
        joined = None
        if gate.invitation is not None:
            joined, _created = accept_invitation(user=user, invitation=gate.invitation)
        return user, joined
