from django.db import models
from django.utils.translation import gettext_lazy as _


class Province(models.Model):
    """One of the 34 provincial units in force since 1 July 2025 (official code as primary key)."""

    code = models.PositiveSmallIntegerField(_("mã"), primary_key=True)
    name = models.CharField(_("tên"), max_length=100)
    codename = models.SlugField(_("tên mã"), max_length=100, unique=True)
    division_type = models.CharField(_("loại đơn vị"), max_length=50)

    class Meta:
        ordering = ["code"]
        verbose_name = _("tỉnh/thành phố")
        verbose_name_plural = _("tỉnh/thành phố")

    def __str__(self):
        return self.name


class Ward(models.Model):
    """One of the 3,321 communes/wards; districts no longer exist."""

    code = models.PositiveIntegerField(_("mã"), primary_key=True)
    name = models.CharField(_("tên"), max_length=100)
    codename = models.CharField(_("tên mã"), max_length=100)
    division_type = models.CharField(_("loại đơn vị"), max_length=50)
    province = models.ForeignKey(Province, on_delete=models.PROTECT, related_name="wards", verbose_name=_("tỉnh/thành phố"))

    class Meta:
        ordering = ["province_id", "name"]
        verbose_name = _("xã/phường")
        verbose_name_plural = _("xã/phường")

    def __str__(self):
        return self.name


class LegacyProvince(models.Model):
    """A pre-2025 province (63 of them) and the present-day province it was merged into.

    Records filed with an old province code roll up into today's unit through `province`.
    """

    code = models.PositiveSmallIntegerField(_("mã cũ"), primary_key=True)
    name = models.CharField(_("tên"), max_length=100)
    codename = models.SlugField(_("tên mã"), max_length=100, unique=True)
    province = models.ForeignKey(
        Province, on_delete=models.PROTECT, related_name="legacy_provinces", verbose_name=_("thuộc tỉnh/thành phố mới")
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("tỉnh/thành phố trước 2025")
        verbose_name_plural = _("tỉnh/thành phố trước 2025")

    def __str__(self):
        return self.name
