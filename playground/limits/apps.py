from __future__ import annotations

from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


class LimitsConfig(AppConfig):
    name = "playground.limits"
    label = "limits"
    verbose_name = "Rate limits"

    def ready(self) -> None:
        from playground.accounts.models import Membership, Team
        from playground.gateway.models import AccessToken
        from playground.gateway.tokens import forget_tokens
        from playground.limits.budgets import forget_budgets
        from playground.limits.models import PersonBudget, PersonTier
        from playground.limits.quotas import forget_quotas

        # A changed tier or team override counts at once in this process.
        for model in (PersonTier, Membership):
            post_save.connect(forget_quotas, sender=model, dispatch_uid=f"quota-{model.__name__}")
            post_delete.connect(
                forget_quotas, sender=model, dispatch_uid=f"quota-d-{model.__name__}"
            )
        post_save.connect(forget_tokens, sender=AccessToken, dispatch_uid="quota-token")
        # And a changed budget (the admin, set_budget, the team's limits page).
        for model in (PersonBudget, Team, Membership, AccessToken):
            name = model.__name__
            post_save.connect(forget_budgets, sender=model, dispatch_uid=f"budget-{name}")
            post_delete.connect(forget_budgets, sender=model, dispatch_uid=f"budget-d-{name}")
