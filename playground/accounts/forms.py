"""Account, team and fal key forms, with short hints and focus on the first field to fix."""

from __future__ import annotations

import unicodedata
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm, UserCreationForm
from django.contrib.auth.models import User

from playground.accounts.actions import BREAKS, same_address
from playground.accounts.models import Invitation, Role, Team


def password_hint() -> str:
    """A one-line summary of the configured password rules (Django's is a long list)."""
    for validator in password_validation.get_default_password_validators():
        if isinstance(validator, password_validation.MinimumLengthValidator):
            return (
                f"At least {validator.min_length} characters. "
                "Avoid common or all-numeric passwords."
            )
    return "Avoid common or all-numeric passwords."


def clean_team_name(value: str) -> str:
    """A team name on one line: it goes into invitation email subjects, where a line break
    would start a header of its own (and Django refuses to send it at all)."""
    name = value.strip()
    if not name:
        raise forms.ValidationError("Give the team a name.")
    if any(unicodedata.category(char) in BREAKS for char in name):
        raise forms.ValidationError("A team name must be one line, without control characters.")
    return name


class FocusFirstErrorMixin(forms.BaseForm):
    """After a failed submit, autofocus the first field with an error instead of the first."""

    def full_clean(self) -> None:
        super().full_clean()
        invalid = [name for name in self.fields if name in self.errors]
        if not invalid:
            return
        for field in self.fields.values():
            field.widget.attrs.pop("autofocus", None)
        self.fields[invalid[0]].widget.attrs["autofocus"] = True


class SignupForm(FocusFirstErrorMixin, UserCreationForm):
    email = forms.EmailField(
        label="Email",
        required=False,
        help_text="Only used to reach you about your account.",
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )

    class Meta(UserCreationForm.Meta):
        model = User
        fields = ("username", "email")

    def __init__(self, *args: Any, invitation: Invitation | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # An emailed invitation binds to its address: the account must use it.
        self.invited_address = invitation.email if invitation is not None else ""
        if self.invited_address:
            self.fields["email"].required = True
            self.fields["email"].initial = self.invited_address
            self.fields["email"].help_text = "The address your invitation was sent to."
        username = self.fields["username"]
        username.help_text = "Letters, digits and @ . + - _ only."
        username.widget.attrs.update(autocomplete="username", autocapitalize="none")
        self.fields["password1"].help_text = password_hint()
        self.fields["password2"].label = "Confirm password"
        self.fields["password2"].help_text = ""

    def clean_email(self) -> str:
        email = self.cleaned_data["email"]
        if self.invited_address and not same_address(email, self.invited_address):
            raise forms.ValidationError(
                "Use the address this invitation was sent to: it is meant for that address."
            )
        return email


class PasswordChangeShortForm(FocusFirstErrorMixin, PasswordChangeForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["old_password"].label = "Current password"
        self.fields["new_password1"].help_text = password_hint()
        self.fields["new_password2"].label = "Confirm new password"
        self.fields["new_password2"].help_text = ""


class TeamForm(FocusFirstErrorMixin, forms.Form):
    """Create a team: just a name; its address (slug) is made from it."""

    name = forms.CharField(
        label="Team name",
        max_length=80,
        help_text="You can rename it later; its address stays the same.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "placeholder": "e.g. Design studio"}),
    )

    def clean_name(self) -> str:
        return clean_team_name(self.cleaned_data["name"])


class TeamSettingsForm(FocusFirstErrorMixin, forms.ModelForm):
    def clean_name(self) -> str:
        return clean_team_name(self.cleaned_data["name"])

    class Meta:
        model = Team
        fields = ("name", "showcase_public")
        labels = {"name": "Team name", "showcase_public": "Public showcase"}
        help_texts = {
            "showcase_public": (
                "Anyone with the link can see the generations chosen for the showcase, "
                "without signing in."
            ),
        }


class DeleteTeamForm(FocusFirstErrorMixin, forms.Form):
    confirm = forms.CharField(
        label="Type the team name to confirm",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )

    def __init__(self, *args: Any, team: Team, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.team = team

    def clean_confirm(self) -> str:
        typed = self.cleaned_data["confirm"].strip()
        if typed != self.team.name:
            raise forms.ValidationError(f"Type “{self.team.name}” exactly to delete the team.")
        return typed


class RoleForm(forms.Form):
    role = forms.ChoiceField(label="Role", choices=Role.choices)

    def __init__(self, *args: Any, choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = choices


EXPIRY_CHOICES = [(1, "1 day"), (7, "7 days"), (30, "30 days")]


class InvitationForm(FocusFirstErrorMixin, forms.Form):
    """An invite link (no email field) or an invite by email, for roles up to the inviter's."""

    email = forms.EmailField(
        label="Email address",
        widget=forms.EmailInput(attrs={"autocomplete": "off", "placeholder": "name@example.com"}),
    )
    role = forms.ChoiceField(label="Role", initial=Role.MEMBER)
    days = forms.TypedChoiceField(
        label="Expires after", choices=EXPIRY_CHOICES, coerce=int, initial=7
    )

    def __init__(
        self, *args: Any, roles: list[tuple[str, str]], by_email: bool, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = roles
        if not by_email:
            del self.fields["email"]


class AccountInvitationForm(FocusFirstErrorMixin, forms.Form):
    """Staff invite someone to make an account, without a team: by email or as a link."""

    email = forms.EmailField(
        label="Email address",
        required=False,
        help_text="Leave empty for a link anyone holding it can use until it expires.",
        widget=forms.EmailInput(attrs={"autocomplete": "off", "placeholder": "name@example.com"}),
    )
    days = forms.TypedChoiceField(
        label="Expires after", choices=EXPIRY_CHOICES, coerce=int, initial=7
    )


class FalKeyForm(FocusFirstErrorMixin, forms.Form):
    """A fal key, entered once. It is never rendered back (not even after an error)."""

    key = forms.CharField(
        label="fal key",
        strip=True,
        help_text="From fal.ai → Dashboard → Keys. It is stored encrypted and never shown again.",
        widget=forms.PasswordInput(
            render_value=False,
            attrs={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "none"},
        ),
        error_messages={"required": "Paste your fal key."},
    )

    def clean_key(self) -> str:
        key = self.cleaned_data["key"]
        # Messages never quote the key: it must not appear in any page.
        if any(char.isspace() for char in key):
            raise forms.ValidationError("A fal key has no spaces or line breaks inside.")
        if not 8 <= len(key) <= 200:
            raise forms.ValidationError("That doesn't look like a fal key (8 to 200 characters).")
        return key


class LoginForm(AuthenticationForm):
    """Django's log-in form; with SSO_ONLY only staff get in with a password (break-glass),
    everyone else is told to use single sign-on."""

    def confirm_login_allowed(self, user) -> None:
        super().confirm_login_allowed(user)
        if settings.SSO_ONLY and not user.is_staff:
            raise forms.ValidationError(
                "Password sign-in is off on this server: sign in with your company account.",
                code="sso_only",
            )
