from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StatsConfig(AppConfig):
    # The design card calls this app "statistics/"; a top-level package of that name would shadow
    # Python's statistics module (Django's SQLite backend imports it), hence the folder name.
    name = "stats"
    verbose_name = _("Statistics")

    def ready(self):
        from manifests.signals import manifest_changed

        from .tasks import enqueue_recompute

        # manifests knows nothing of stats: it sends a signal at each change, stats listens.
        manifest_changed.connect(enqueue_recompute, dispatch_uid="stats.recompute")
        self.follow_reference()

    def follow_reference(self):
        """Saves and deletes of what cached tables and maps name or place move the `reference` version."""
        from django.db.models.signals import m2m_changed, post_delete, post_save

        from accounts.models import Organisation, Permit, Site
        from catalog.models import TreatmentMethod, WasteChapter, WasteCode
        from gis.models import Province

        from .rollups import reference_changed

        for model in (Organisation, Site, Permit, WasteCode, WasteChapter, TreatmentMethod, Province):
            for name, signal in (("save", post_save), ("delete", post_delete)):
                signal.connect(reference_changed, sender=model, dispatch_uid=f"stats.reference.{name}.{model.__name__}")
        for through in (Permit.waste_codes.through, Permit.treatment_methods.through):
            m2m_changed.connect(reference_changed, sender=through, dispatch_uid=f"stats.reference.m2m.{through.__name__}")
