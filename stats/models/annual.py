"""Annual reports of generators and facilities (the statistics issue).

The hazardous-waste part of the environmental protection report (forms 05.A / 05.B of Annex VI of Circular
02/2022/TT-BTNMT), one per site and calendar year. A submitted report is frozen: its canonical JSON content and
the SHA-256 of that content never change, and the submission is an event of the audit chain
"annual_report:<id>". A correction is a new version (n + 1) that supersedes the previous one; every version is
kept. The content is built by stats.annual.prefill and stats.annual.services.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class AnnualReport(models.Model):
    class Kind(models.TextChoices):
        # What the report is built from: a generator's handovers, or a treatment facility's intake and treatment
        # (with its own residues handed over).
        GENERATOR = "generator", pgettext_lazy("annual report kind", "Waste generator")
        FACILITY = "facility", pgettext_lazy("annual report kind", "Hazardous waste treatment facility")

    class Form(models.TextChoices):
        # Annex VI of Circular 02/2022: 05.A for facilities that need an environmental permit (GPMT), treatment
        # facilities included; 05.B for those under environmental registration.
        A = "05.A", _("Form 05.A (environmental permit)")
        B = "05.B", _("Form 05.B (environmental registration)")

    site = models.ForeignKey("accounts.Site", on_delete=models.PROTECT, related_name="annual_reports", verbose_name=_("site"))
    # Copied from the site at submission: the register counts by organisation and province without joins.
    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="annual_reports", verbose_name=_("organisation")
    )
    province = models.ForeignKey("gis.Province", on_delete=models.PROTECT, related_name="+", verbose_name=_("province"))
    year = models.PositiveSmallIntegerField(_("reporting year"))
    version = models.PositiveIntegerField(_("version"), default=1)
    supersedes = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="superseded_by", verbose_name=_("replaces version")
    )
    kind = models.CharField(_("report type"), max_length=10, choices=Kind.choices)
    form = models.CharField(_("form"), max_length=5, choices=Form.choices)
    content = models.JSONField(_("content"))
    content_hash = models.CharField(_("content hash"), max_length=64)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("submitted by")
    )
    submitted_at = models.DateTimeField(_("submitted at"))
    # The first instant after the deadline in force at submission (Vietnam time, the day after the deadline, 00:00).
    due_by = models.DateTimeField(_("due before"))
    is_late = models.BooleanField(_("late"))

    class Meta:
        ordering = ["-year", "site_id", "-version"]
        verbose_name = _("annual report")
        verbose_name_plural = _("annual reports")
        constraints = [
            models.UniqueConstraint(fields=["site", "year", "version"], name="annualreport_unique_site_year_version"),
            models.CheckConstraint(condition=Q(version__gte=1), name="annualreport_version_positive"),
            models.CheckConstraint(condition=Q(year__gte=2000, year__lte=2100), name="annualreport_year_range"),
            models.CheckConstraint(condition=Q(kind__in=["generator", "facility"]), name="annualreport_kind_valid"),
            models.CheckConstraint(condition=Q(form__in=["05.A", "05.B"]), name="annualreport_form_valid"),
            models.CheckConstraint(condition=Q(content_hash__regex=r"^[0-9a-f]{64}$"), name="annualreport_hash_sha256"),
            # Version 1 replaces nothing; every later version replaces exactly one earlier report.
            models.CheckConstraint(
                condition=Q(version=1, supersedes__isnull=True) | Q(version__gt=1, supersedes__isnull=False),
                name="annualreport_versions_linked",
            ),
            # "Late" is exactly "submitted at or after the first instant past the deadline".
            models.CheckConstraint(
                condition=Q(is_late=True, submitted_at__gte=F("due_by")) | Q(is_late=False, submitted_at__lt=F("due_by")),
                name="annualreport_late_flag_matches_deadline",
            ),
        ]
        indexes = [
            # The register: a year's reports by province.
            models.Index(fields=["year", "province"], name="annualreport_year_province"),
        ]

    def __str__(self):
        return f"{self.site_id}/{self.year} v{self.version}"

    @property
    def chain(self):
        """The audit chain of this report (accounts.AuditEvent)."""
        return f"annual_report:{self.pk}"


class AnnualObligation(models.Model):
    """A site that must file the report of a year, and why (stats.annual.obligations computes them from the
    manifests and the sites; beat refreshes the last year's every night). The register and the reminders read
    these rows instead of searching a year of manifests on every page."""

    site = models.ForeignKey("accounts.Site", on_delete=models.CASCADE, related_name="+", verbose_name=_("site"))
    year = models.PositiveSmallIntegerField(_("reporting year"))
    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE, related_name="+", verbose_name=_("organisation"))
    province = models.ForeignKey("gis.Province", on_delete=models.PROTECT, related_name="+", verbose_name=_("province"))
    handed_over = models.BooleanField(_("handed waste over under a manifest"), default=False)
    received = models.BooleanField(_("received waste under a manifest"), default=False)
    active = models.BooleanField(_("active generator or facility site"), default=False)
    refreshed_at = models.DateTimeField(_("computed at"))

    class Meta:
        verbose_name = _("annual report obligation")
        verbose_name_plural = _("annual report obligations")
        constraints = [
            models.UniqueConstraint(fields=["site", "year"], name="annualobligation_one_per_site_year"),
            models.CheckConstraint(condition=Q(handed_over=True) | Q(received=True) | Q(active=True), name="annualobligation_has_a_reason"),
        ]
        indexes = [models.Index(fields=["year", "province"], name="annualobligation_year_province")]

    def __str__(self):
        return f"{self.site_id}/{self.year}"


class AnnualReminder(models.Model):
    """The reminder e-mail of one year sent to one organisation: at most one per organisation and year."""

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField()
    recipients = models.PositiveIntegerField(default=0)
    sent_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organisation", "year"], name="annualreminder_one_per_org_year")]

    def __str__(self):
        return f"{self.organisation_id}/{self.year}"


__all__ = ["AnnualObligation", "AnnualReminder", "AnnualReport"]
