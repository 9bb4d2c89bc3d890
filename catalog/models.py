"""The national catalogs: waste chapters and codes, hazard properties, treatment methods.

The rules changed in 2006, 2011, 2015, 2022 and 2025, so the waste list is versioned data
(a catalog version with an effective date) that an administrator imports, never code.
"""

from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from .codes import waste_code_validator
from .text import search_text


class PhysicalState(models.TextChoices):
    SOLID = "solid", pgettext_lazy("physical state", "Solid")
    LIQUID = "liquid", pgettext_lazy("physical state", "Liquid")
    SLUDGE = "sludge", pgettext_lazy("physical state", "Sludge")
    GAS = "gas", pgettext_lazy("physical state", "Gas")


class BilingualName(models.Model):
    name_vi = models.CharField(_("Vietnamese name"), max_length=500)
    name_en = models.CharField(_("English name"), max_length=500, blank=True)

    class Meta:
        abstract = True

    def __str__(self):
        return f"{self.code} – {self.name}"

    @property
    def name(self):
        # English users see the English name when one is known.
        if get_language() == "en" and self.name_en:
            return self.name_en
        return self.name_vi


class WasteChapter(BilingualName):
    code = models.CharField(_("chapter code"), max_length=2, unique=True, validators=[RegexValidator(r"^\d{2}$")])

    class Meta:
        ordering = ["code"]
        verbose_name = _("waste chapter")
        verbose_name_plural = _("waste chapters")


class HazardProperty(BilingualName):
    code = models.CharField(_("code"), max_length=5, unique=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("hazard property")
        verbose_name_plural = _("hazard properties")


class TreatmentMethod(BilingualName):
    # "Khác" (other): whoever chooses it writes which method in words.
    OTHER = "Khác"

    code = models.CharField(_("code"), max_length=10, unique=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["order", "code"]
        verbose_name = _("treatment method")
        verbose_name_plural = _("treatment methods")

    @property
    def is_other(self):
        return self.code == self.OTHER


class CatalogVersion(models.Model):
    label = models.CharField(_("version"), max_length=100, unique=True)
    effective_date = models.DateField(_("effective date"))
    source = models.CharField(_("legal basis"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-effective_date", "-id"]
        verbose_name = _("catalog version")
        verbose_name_plural = _("catalog versions")

    def __str__(self):
        return f"{self.label} ({self.effective_date:%d/%m/%Y})"


class WasteCodeQuerySet(models.QuerySet):
    def current(self, on_date=None):
        """Codes of the newest catalog version in force on the date (today by default)."""
        on_date = on_date or timezone.localdate()
        version = CatalogVersion.objects.filter(effective_date__lte=on_date).order_by("-effective_date", "-id").first()
        return self.filter(version=version, active=True) if version else self.none()

    def for_manifest(self, on_date=None):
        """The current codes a hazardous-waste manifest may carry: not the ordinary industrial waste (TT) ones."""
        return self.current(on_date).exclude(class_marker=WasteCode.ClassMarker.ORDINARY)


class WasteCode(BilingualName):
    class ClassMarker(models.TextChoices):
        HAZARDOUS = "NH", _("NH – hazardous waste")
        CONTROLLED = "KS", _("KS – waste requiring control")
        ORDINARY = "TT", _("TT – ordinary industrial waste")

    version = models.ForeignKey(
        CatalogVersion, on_delete=models.PROTECT, related_name="codes", verbose_name=_("catalog version")
    )
    code = models.CharField(_("waste code"), max_length=8, validators=[waste_code_validator])
    chapter = models.ForeignKey(WasteChapter, on_delete=models.PROTECT, related_name="codes", verbose_name=_("chapter"))
    ec_code = models.CharField(_("EC code"), max_length=20, blank=True)
    basel_code = models.CharField(_("Basel code"), max_length=40, blank=True)
    hazard_properties = models.ManyToManyField(HazardProperty, blank=True, verbose_name=_("hazard properties"))
    physical_states = models.JSONField(_("physical states"), default=list, blank=True)
    class_marker = models.CharField(_("classification mark"), max_length=2, choices=ClassMarker.choices)
    verified = models.BooleanField(
        _("checked against the legal text"), default=False, help_text=_("Untick while the code has not been checked against the official catalog.")
    )
    active = models.BooleanField(_("in use"), default=True)
    # Code and names folded for search (catalog.search); kept by save(), never edited.
    search_text = models.CharField(max_length=1100, blank=True, editable=False)

    objects = WasteCodeQuerySet.as_manager()

    class Meta:
        ordering = ["version", "code"]
        verbose_name = _("waste code")
        verbose_name_plural = _("waste codes")
        constraints = [
            models.UniqueConstraint(fields=["version", "code"], name="wastecode_unique_code_per_version"),
            models.CheckConstraint(
                condition=models.Q(class_marker__in=["NH", "KS", "TT"]), name="wastecode_class_marker_valid"
            ),
        ]

    def save(self, *args, **kwargs):
        self.search_text = search_text(self.code, self.name_vi, self.name_en)
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "search_text"}
        super().save(*args, **kwargs)

    @property
    def is_ordinary(self):
        return self.class_marker == self.ClassMarker.ORDINARY

    def ordinary_refusal(self):
        """Why an ordinary industrial waste code (TT) is refused on a hazardous-waste manifest."""
        return _("%(code)s is ordinary industrial waste (TT): it is not declared on a hazardous waste manifest.") % {"code": self.code}

    @property
    def effective_date(self):
        return self.version.effective_date

    def physical_state_labels(self):
        labels = dict(PhysicalState.choices)
        return [labels.get(s, s) for s in self.physical_states]
