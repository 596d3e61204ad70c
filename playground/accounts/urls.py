from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.urls import path

from playground.accounts import invite_views, key_views, views

urlpatterns = [
    path("signup/", views.signup, name="signup"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("password/", views.PasswordChangeView.as_view(), name="password_change"),
    path(
        "password/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("keys/", key_views.fal_keys, name="fal_keys"),
    path("keys/remove/", key_views.fal_key_remove, name="fal_key_remove"),
    path("invitations/", invite_views.account_invitations, name="account_invitations"),
    path(
        "invitations/<int:pk>/revoke/",
        invite_views.revoke_account_invitation,
        name="revoke_account_invitation",
    ),
]
