from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ManifestsConfig(AppConfig):
    name = "manifests"
    verbose_name = _("Hazardous waste manifests")

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from accounts.models import Jurisdiction, Membership, Organisation

        from .notifications import forget_members_unread

        for model in (Membership, Jurisdiction, Organisation):
            post_save.connect(forget_members_unread, sender=model, dispatch_uid=f"unread-{model.__name__}-saved")
            post_delete.connect(forget_members_unread, sender=model, dispatch_uid=f"unread-{model.__name__}-deleted")
