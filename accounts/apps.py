from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts and organisations")

    def ready(self):
        # Every sign-in (the login page, the test client's force_login) starts the session's idle and absolute
        # clocks (the receiver is connected when the module is imported).
        from . import middleware  # noqa: F401
