"""OpenID Connect sign-in: django-allauth's `openid_connect` flow, with the checks it
leaves out added in `adapter.py` (README "Single sign-on")."""
