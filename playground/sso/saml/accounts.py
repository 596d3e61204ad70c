"""Who a verified SAML assertion signs in: the account linked to its identity, else an
existing account with the same e-mail (only when SSO_LINK_BY_EMAIL is on and the IdP is
trusted to vouch for addresses), else a new account made just in time. Teams follow the
groups attribute at every sign-in (sso.groups.sync_teams)."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from saml2.saml import NAMEID_FORMAT_TRANSIENT

from playground.sso.errors import SignInRefused
from playground.sso.groups import sync_teams
from playground.sso.hooks import unique_username
from playground.sso.saml.config import SamlIdp
from playground.sso.saml.models import SamlIdentity

EMAIL_ATTRIBUTES = (
    "email",
    "mail",
    "emailAddress",
    "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress",
)
USERNAME_FALLBACKS = ("uid", "username", "preferred_username")


@dataclass(frozen=True)
class Person:
    """What a verified assertion says about who is signing in."""

    subject: str
    username: str
    email: str
    groups: list[str]


def person_from(idp: SamlIdp, session_info: dict) -> Person:
    """Read the person from pysaml2's session info (after every check has passed)."""
    ava = session_info.get("ava") or {}
    name_id = session_info.get("name_id")
    name_id_text = (getattr(name_id, "text", "") or "").strip()
    email = _first(ava, [idp.email_attribute] if idp.email_attribute else EMAIL_ATTRIBUTES)
    username = _first(ava, _username_attributes(idp))
    transient = getattr(name_id, "format", "") == NAMEID_FORMAT_TRANSIENT
    # A transient NameID changes at each sign-in: the username attribute is the one that lasts.
    subject = username if transient or not name_id_text else name_id_text
    if not subject:
        raise SignInRefused(
            f"{idp.label} did not say who you are (no NameID and no username attribute)."
        )
    groups = _values(ava, idp.groups_attribute)
    return Person(subject=subject, username=username or name_id_text, email=email, groups=groups)


def _username_attributes(idp: SamlIdp) -> list[str]:
    if idp.username_attribute:
        return [idp.username_attribute]
    claim = getattr(settings, "SSO_USERNAME_CLAIM", "")
    return [claim, *USERNAME_FALLBACKS] if claim else list(USERNAME_FALLBACKS)


def _values(ava: dict, name: str) -> list[str]:
    """An attribute's values, by its exact name, else ignoring case."""
    if name in ava:
        return [str(v) for v in ava[name] if str(v).strip()]
    for key, values in ava.items():
        if key.lower() == name.lower():
            return [str(v) for v in values if str(v).strip()]
    return []


def _first(ava: dict, names) -> str:
    for name in names:
        values = _values(ava, name)
        if values:
            return values[0].strip()
    return ""


def sign_in_user(idp: SamlIdp, person: Person):
    """The account `person` signs in to (made or linked at the first sign-in), with its
    teams brought in line with the groups. Raises SignInRefused for a disabled account."""
    with transaction.atomic():
        identity = (
            SamlIdentity.objects.select_related("user")
            .filter(provider=idp.id, subject=person.subject)
            .first()
        )
        if identity is None:
            identity = _first_sign_in(idp, person)
        else:
            identity.save(update_fields=["last_sign_in"])
        user = identity.user
        if not user.is_active:
            raise SignInRefused("This Playground account is disabled; ask an administrator.")
        sync_teams(user, person.groups, provider=idp.id)
    return user


def _first_sign_in(idp: SamlIdp, person: Person) -> SamlIdentity:
    user = _linked_by_email(idp, person) or _new_user(person)
    return SamlIdentity.objects.create(provider=idp.id, subject=person.subject, user=user)


def _linked_by_email(idp: SamlIdp, person: Person):
    """The one existing account with this address, when linking is on and the IdP vouches
    for addresses. Never a staff account: a break-glass login must not be taken over."""
    if not (getattr(settings, "SSO_LINK_BY_EMAIL", False) and idp.email_verified and person.email):
        return None
    matches = list(get_user_model().objects.filter(email__iexact=person.email)[:2])
    if len(matches) != 1 or matches[0].is_staff or matches[0].is_superuser:
        return None
    return matches[0]


def _new_user(person: Person):
    wanted = person.username or person.email.split("@")[0] or person.subject
    for _ in range(3):
        try:
            with transaction.atomic():
                user = get_user_model().objects.create(
                    username=unique_username(wanted.replace(" ", ".")), email=person.email
                )
        except IntegrityError:  # the name was taken meanwhile by another sign-in
            continue
        user.set_unusable_password()
        user.save(update_fields=["password"])
        return user
    raise SignInRefused("No free username could be found for you; ask an administrator.")
