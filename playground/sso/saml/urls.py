from __future__ import annotations

from django.urls import path

from playground.sso.saml import views

app_name = "saml"
urlpatterns = [
    path("metadata/", views.metadata, name="metadata"),
    path("<str:idp_id>/login/", views.Login.as_view(), name="login"),
    path("<str:idp_id>/acs/", views.Acs.as_view(), name="acs"),
    path("<str:idp_id>/logout/", views.Logout.as_view(), name="logout"),
    path("<str:idp_id>/sls/", views.Sls.as_view(), name="sls"),
]
