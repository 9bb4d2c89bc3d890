from importlib import import_module

from axes.apps import AppConfig as AxesAppConfig
from django.apps import apps
from django.contrib.admin.apps import SimpleAdminConfig
from django.urls import register_converter
from django.utils.module_loading import module_has_submodule
from django.utils.translation import gettext_lazy as _

from common.integers import BoundedIntConverter


class HwmsAdminConfig(SimpleAdminConfig):
    """Admin that autodiscovers every app's admin module except django-leaflet's.

    leaflet/admin.py imports GeoDjango, which needs the GDAL library (not installed with HWMS); the map
    template tags we use work without it.
    """

    def ready(self):
        super().ready()
        # `<id:…>` in every URL pattern: a bounded integer (common/integers.py), registered before any URL module
        # is imported (the URL configuration is read after every app is ready).
        register_converter(BoundedIntConverter, "id")
        for app_config in apps.get_app_configs():
            if app_config.name == "leaflet":
                continue
            if module_has_submodule(app_config.module, "admin"):
                import_module(f"{app_config.name}.admin")


class AxesConfig(AxesAppConfig):
    """django-axes under a Vietnamese heading in the admin (the package names its app "Axes")."""

    verbose_name = _("Login attempts")

    def ready(self):
        super().ready()
        from axes.admin import AccessAttemptAdmin

        # Two computed columns the package leaves without a label (Django would print "Status", "Expiration").
        AccessAttemptAdmin.status.short_description = _("Status")
        AccessAttemptAdmin.expiration.short_description = _("Expires At")
