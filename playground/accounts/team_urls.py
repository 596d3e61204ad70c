"""/teams/… (namespace "teams"). The team gallery (/teams/<slug>/gallery/) lives in gallery."""

from __future__ import annotations

from django.urls import path

from playground.accounts import team_views as views
from playground.limits import views as limits

app_name = "teams"

urlpatterns = [
    path("", views.team_list, name="list"),
    path("join/<str:token>/", views.join, name="join"),
    path("<slug:slug>/", views.team_detail, name="detail"),
    path("<slug:slug>/members/<int:pk>/role/", views.change_role, name="change_role"),
    path("<slug:slug>/members/<int:pk>/remove/", views.remove_member, name="remove_member"),
    path("<slug:slug>/leave/", views.leave_team, name="leave"),
    path("<slug:slug>/invitations/link/", views.invite_link, name="invite_link"),
    path("<slug:slug>/invitations/email/", views.invite_email, name="invite_email"),
    path(
        "<slug:slug>/invitations/<int:pk>/revoke/",
        views.revoke_invitation,
        name="revoke_invitation",
    ),
    path("<slug:slug>/key/", views.team_key, name="key"),
    path("<slug:slug>/key/remove/", views.team_key_remove, name="key_remove"),
    path("<slug:slug>/settings/", views.team_settings, name="settings"),
    path("<slug:slug>/delete/", views.delete_team, name="delete"),
    path("<slug:slug>/limits/", limits.team_limits, name="limits"),
    path("<slug:slug>/limits/team/", limits.team_budget, name="limits_team"),
    path("<slug:slug>/limits/members/<int:pk>/", limits.member_limits, name="limits_member"),
    path("<slug:slug>/limits/tokens/<int:pk>/", limits.token_limits, name="limits_token"),
]
