from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from playground.accounts import actions
from playground.accounts.forms import LoginForm, PasswordChangeShortForm, SignupForm
from playground.accounts.signup import FIRST, invitation_in, signup_gate
from playground.sso import providers as sso_providers
from playground.sso.logout import end_session_url
from playground.sso.signin import LOGOUT_SESSION_KEY


def safe_next_url(request: HttpRequest) -> str:
    """The `next` the visitor came with (e.g. an invite link) when it stays on this site."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    allowed = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return target if allowed else ""


@sensitive_post_parameters("password1", "password2")
@require_http_methods(["GET", "HEAD", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    """Create an account and sign in with it, when settings.SIGNUP (and the invitation the
    visitor came with, as `next`) allow: the page says what applies, a refused POST gets
    403. Then the invitation's team, else `next` (when safe), else home. Signed-in users
    are sent home."""
    if request.user.is_authenticated:
        return redirect("home")
    next_url = safe_next_url(request)
    gate = signup_gate(invitation_in(next_url))
    context = {
        "next": next_url,
        "gate": gate,
        "invitation": gate.invitation,
        "sso_providers": sso_providers.configured(),
        "show_password_form": gate.allowed,
    }
    if not gate.allowed:
        status = 403 if request.method == "POST" else 200
        return render(request, "accounts/signup.html", context, status=status)
    data = request.POST if request.method == "POST" else None
    form = SignupForm(data, invitation=gate.invitation)
    if form.is_valid():
        try:
            user, joined = actions.sign_up(form=form, invitation=gate.invitation)
        except (actions.SignupRefused, actions.InvitationUnusable) as error:
            form.add_error(None, str(error))
        else:
            return _welcome(request, user, joined, first=gate.state == FIRST, next_url=next_url)
    return render(request, "accounts/signup.html", {**context, "form": form})


def _welcome(request: HttpRequest, user, joined, *, first: bool, next_url: str) -> HttpResponse:
    # Two backends (axes' check, then Django's): say which one vouches for the new account.
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    messages.success(request, f"Welcome to Playground, {user.username}!")
    if first:
        messages.info(
            request,
            "Yours is the first account, so it administers this server: the Admin link is at "
            "the bottom of every page.",
        )
    if joined is not None:
        role = joined.get_role_display().lower()
        messages.success(request, f"You joined “{joined.team.name}” as {role}.")
        return redirect("teams:detail", joined.team.slug)
    if invitation_in(next_url) is not None:
        return redirect("home")  # its page would only say there is nothing left to accept
    return redirect(next_url or "home")


class LoginView(auth_views.LoginView):
    """The password form and the single sign-on buttons. With SSO_ONLY the form shows only
    at ?password=1 (staff's break-glass way in), and only lets staff in."""

    redirect_authenticated_user = True
    authentication_form = LoginForm

    def get_context_data(self, **kwargs) -> dict:
        context = super().get_context_data(**kwargs)
        break_glass = "password" in self.request.GET or self.request.method == "POST"
        context["sso_providers"] = sso_providers.configured()
        context["show_password_form"] = not settings.SSO_ONLY or break_glass
        context["sso_only"] = settings.SSO_ONLY
        return context


class LogoutView(auth_views.LogoutView):
    """POST-only (Django's own rule since 5.0); says goodbye on the next page."""

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        was_signed_in = request.user.is_authenticated
        provider_session = request.session.get(LOGOUT_SESSION_KEY)
        response = super().post(request, *args, **kwargs)
        if was_signed_in:
            messages.info(request, "You have been logged out.")
            # Signed in through SSO: end the provider's session too, where it offers it.
            at_provider = end_session_url(request, provider_session)
            if at_provider:
                return redirect(at_provider)
        return response


class PasswordChangeView(auth_views.PasswordChangeView):
    form_class = PasswordChangeShortForm
    success_url = reverse_lazy("password_change_done")
