from __future__ import annotations

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "playground.accounts"
    label = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from playground.accounts import checks  # noqa: F401  (registers the system checks)
        from playground.accounts.live import membership_changed
        from playground.accounts.models import Membership

        # Signals, not only actions.py: the admin and cascades (a deleted team or user)
        # remove memberships too.
        post_save.connect(membership_changed, sender=Membership, dispatch_uid="membership-live")
        post_delete.connect(membership_changed, sender=Membership, dispatch_uid="membership-live")
