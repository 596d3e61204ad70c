"""/teams/<slug>/activity/ and its CSV (namespace "activity"), beside the other team pages."""

from __future__ import annotations

from django.urls import path

from playground.activity import views

app_name = "activity"

urlpatterns = [
    path("teams/<slug:slug>/activity/", views.team_activity, name="team"),
    path("teams/<slug:slug>/activity.csv", views.team_activity_csv, name="team_csv"),
]
