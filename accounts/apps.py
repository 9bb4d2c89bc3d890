from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts and organisations")

    def ready(self):
        # Every sign-in (the login page, the test client's force_login) starts the session's idle and absolute
        # clocks (the receiver is connected when the module is imported).
        from django.db.models.signals import post_delete, post_save

        from . import middleware  # noqa: F401
        from .models import Organisation, Site
        from .selectors import forget_registry_figures

        for model in (Organisation, Site):
            for name, signal in (("saved", post_save), ("deleted", post_delete)):
                signal.connect(forget_registry_figures, sender=model, dispatch_uid=f"registry-{model.__name__}-{name}")
