"""Sign-up and password forms, with short hints and focus on the first field to fix."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import PasswordChangeForm, UserCreationForm
from django.contrib.auth.models import User


def password_hint() -> str:
    """A one-line summary of the configured password rules (Django's is a long list)."""
    for validator in password_validation.get_default_password_validators():
        if isinstance(validator, password_validation.MinimumLengthValidator):
            return (
                f"At least {validator.min_length} characters. "
                "Avoid common or all-numeric passwords."
            )
    return "Avoid common or all-numeric passwords."


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

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        username = self.fields["username"]
        username.help_text = "Letters, digits and @ . + - _ only."
        username.widget.attrs.update(autocomplete="username", autocapitalize="none")
        self.fields["password1"].help_text = password_hint()
        self.fields["password2"].label = "Confirm password"
        self.fields["password2"].help_text = ""


class PasswordChangeShortForm(FocusFirstErrorMixin, PasswordChangeForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["old_password"].label = "Current password"
        self.fields["new_password1"].help_text = password_hint()
        self.fields["new_password2"].label = "Confirm new password"
        self.fields["new_password2"].help_text = ""
