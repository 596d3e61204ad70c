from __future__ import annotations

from django.urls import path

from playground.sso.oidc import views

# The names are allauth's: its provider builds the login and callback URLs from them.
urlpatterns = [
    path("<str:provider_id>/login/", views.login, name="openid_connect_login"),
    path("<str:provider_id>/login/callback/", views.callback, name="openid_connect_callback"),
]
