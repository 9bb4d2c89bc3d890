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
