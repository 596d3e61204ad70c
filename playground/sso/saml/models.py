"""Which Playground account a SAML identity (an IdP's NameID for a person) signs in to."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class SamlIdentity(models.Model):
    """The person `subject` at IdP `provider` is `user` here; made at their first sign-in.

    The subject is the assertion's NameID (persistent or e-mail format), or the username
    attribute when the IdP sends transient NameIDs that change at each sign-in."""

    provider = models.CharField(max_length=50)
    subject = models.CharField(max_length=255)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saml_identities"
    )
    created = models.DateTimeField(auto_now_add=True)
    last_sign_in = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "SAML identity"
        verbose_name_plural = "SAML identities"
        constraints = [
            models.UniqueConstraint(fields=["provider", "subject"], name="saml_identity_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.subject} at {self.provider}"
