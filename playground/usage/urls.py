from __future__ import annotations

from django.urls import path

from playground.usage import views

app_name = "usage"

urlpatterns = [
    path("usage/", views.usage_page, name="page"),
    path("usage/export.csv", views.export_csv, name="export"),
]
