from django.apps import AppConfig


class GatewayConfig(AppConfig):
    name = "playground.gateway"
    label = "gateway"
    verbose_name = "Gateway"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from playground.accounts.models import FalCredential
        from playground.gateway.engine import forget_keys

        # A key stored or removed here takes effect on the next gateway call (memo.py).
        post_save.connect(forget_keys, sender=FalCredential, dispatch_uid="gateway-keys")
        post_delete.connect(forget_keys, sender=FalCredential, dispatch_uid="gateway-keys-gone")
