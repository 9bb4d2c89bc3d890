from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GisConfig(AppConfig):
    name = "gis"
    verbose_name = _("Maps and administrative boundaries")

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from .choices import forget_province_choices
        from .models import Province

        post_save.connect(forget_province_choices, sender=Province, dispatch_uid="gis.province_choices.save")
        post_delete.connect(forget_province_choices, sender=Province, dispatch_uid="gis.province_choices.delete")
