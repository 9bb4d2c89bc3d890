"""The national catalogs: waste chapters and codes, hazard properties, treatment methods.

The rules changed in 2006, 2011, 2015, 2022 and 2025, so the waste list is versioned data
(a catalog version with an effective date) that an administrator imports, never code.
"""

from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

waste_code_validator = RegexValidator(
    r"^\d{2}( \d{2}){0,2}$",
    _("Mã chất thải gồm 1 đến 3 cặp chữ số cách nhau bởi dấu cách, ví dụ 17 02 03."),
)


class PhysicalState(models.TextChoices):
    SOLID = "solid", pgettext_lazy("physical state", "Rắn")
    LIQUID = "liquid", pgettext_lazy("physical state", "Lỏng")
    SLUDGE = "sludge", pgettext_lazy("physical state", "Bùn")
    GAS = "gas", pgettext_lazy("physical state", "Khí")


class BilingualName(models.Model):
    name_vi = models.CharField(_("tên tiếng Việt"), max_length=500)
    name_en = models.CharField(_("tên tiếng Anh"), max_length=500, blank=True)

    class Meta:
        abstract = True

    @property
    def name(self):
        # English users see the English name when one is known.
        if get_language() == "en" and self.name_en:
            return self.name_en
        return self.name_vi

    def __str__(self):
        return f"{self.code} – {self.name}"


class WasteChapter(BilingualName):
    code = models.CharField(_("mã chương"), max_length=2, unique=True, validators=[RegexValidator(r"^\d{2}$")])

    class Meta:
        ordering = ["code"]
        verbose_name = _("chương chất thải")
        verbose_name_plural = _("chương chất thải")


class HazardProperty(BilingualName):
    code = models.CharField(_("mã"), max_length=5, unique=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("tính chất nguy hại")
        verbose_name_plural = _("tính chất nguy hại")


class TreatmentMethod(BilingualName):
    code = models.CharField(_("mã"), max_length=10, unique=True)
    order = models.PositiveSmallIntegerField(_("thứ tự"), default=0)

    class Meta:
        ordering = ["order", "code"]
        verbose_name = _("phương pháp xử lý")
        verbose_name_plural = _("phương pháp xử lý")


class CatalogVersion(models.Model):
    label = models.CharField(_("phiên bản"), max_length=100, unique=True)
    effective_date = models.DateField(_("ngày hiệu lực"))
    source = models.CharField(_("căn cứ"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("ngày tạo"), auto_now_add=True)

    class Meta:
        ordering = ["-effective_date", "-id"]
        verbose_name = _("phiên bản danh mục")
        verbose_name_plural = _("phiên bản danh mục")

    def __str__(self):
        return f"{self.label} ({self.effective_date:%d/%m/%Y})"


class WasteCodeQuerySet(models.QuerySet):
    def current(self, on_date=None):
        """Codes of the newest catalog version in force on the date (today by default)."""
        from django.utils import timezone

        on_date = on_date or timezone.localdate()
        version = CatalogVersion.objects.filter(effective_date__lte=on_date).order_by("-effective_date", "-id").first()
        return self.filter(version=version, active=True) if version else self.none()


class WasteCode(BilingualName):
    class ClassMarker(models.TextChoices):
        HAZARDOUS = "NH", _("NH – chất thải nguy hại")
        CONTROLLED = "KS", _("KS – chất thải cần kiểm soát")
        ORDINARY = "TT", _("TT – chất thải công nghiệp thông thường")

    version = models.ForeignKey(
        CatalogVersion, on_delete=models.PROTECT, related_name="codes", verbose_name=_("phiên bản danh mục")
    )
    code = models.CharField(_("mã chất thải"), max_length=8, validators=[waste_code_validator])
    chapter = models.ForeignKey(WasteChapter, on_delete=models.PROTECT, related_name="codes", verbose_name=_("chương"))
    ec_code = models.CharField(_("mã EC"), max_length=20, blank=True)
    basel_code = models.CharField(_("mã Basel"), max_length=40, blank=True)
    hazard_properties = models.ManyToManyField(HazardProperty, blank=True, verbose_name=_("tính chất nguy hại"))
    physical_states = models.JSONField(_("trạng thái tồn tại"), default=list, blank=True)
    class_marker = models.CharField(_("ký hiệu phân loại"), max_length=2, choices=ClassMarker.choices)
    verified = models.BooleanField(
        _("đã đối chiếu văn bản"), default=False, help_text=_("Bỏ chọn khi mã chưa được đối chiếu với danh mục chính thức.")
    )
    active = models.BooleanField(_("đang dùng"), default=True)

    objects = WasteCodeQuerySet.as_manager()

    class Meta:
        ordering = ["version", "code"]
        verbose_name = _("mã chất thải")
        verbose_name_plural = _("mã chất thải")
        constraints = [
            models.UniqueConstraint(fields=["version", "code"], name="wastecode_unique_code_per_version"),
            models.CheckConstraint(
                condition=models.Q(class_marker__in=["NH", "KS", "TT"]), name="wastecode_class_marker_valid"
            ),
        ]

    @property
    def effective_date(self):
        return self.version.effective_date

    def physical_state_labels(self):
        labels = dict(PhysicalState.choices)
        return [labels.get(s, s) for s in self.physical_states]
