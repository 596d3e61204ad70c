"""Single sign-on: people sign in with their company identity (OpenID Connect, SAML), and
the identity provider's groups decide their teams and roles (`groups.sync_teams`)."""
