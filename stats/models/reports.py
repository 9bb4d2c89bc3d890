"""The PDFs of the annual statistics reports (the national one and one per province), written by a report job
(an ExportJob of kind "statistics") and downloaded by whoever's scope covers them (stats.reports.access)."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class StatisticsReport(models.Model):
    """One generated report: the whole country's (no province) or a province's, for a year. The newest of a
    (year, province) is the one the report page offers; older ones stay downloadable until cleaned up."""

    job = models.ForeignKey("stats.ExportJob", on_delete=models.CASCADE, related_name="reports")
    year = models.PositiveSmallIntegerField(_("year"))
    province = models.ForeignKey(
        "gis.Province", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("province")
    )
    file = models.FileField(upload_to="reports/%Y/%m/")
    filename = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("statistics report")
        constraints = [
            # A job writes each of its documents once, even when its task is delivered twice.
            models.UniqueConstraint(fields=["job", "province"], condition=Q(province__isnull=False), name="statisticsreport_one_per_job_province"),
            models.UniqueConstraint(fields=["job"], condition=Q(province__isnull=True), name="statisticsreport_one_national_per_job"),
        ]
        indexes = [models.Index(fields=["year", "province", "-created_at"], name="statisticsreport_latest")]

    def __str__(self):
        return self.filename


__all__ = ["StatisticsReport"]
