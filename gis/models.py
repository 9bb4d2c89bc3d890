from django.db import models
from django.utils.translation import gettext_lazy as _


class Province(models.Model):
    """One of the 34 provincial units in force since 1 July 2025 (official code as primary key)."""

    code = models.PositiveSmallIntegerField(_("code"), primary_key=True)
    name = models.CharField(_("name"), max_length=100)
    codename = models.SlugField(_("code name"), max_length=100, unique=True)
    division_type = models.CharField(_("division type"), max_length=50)

    class Meta:
        ordering = ["code"]
        verbose_name = _("province")
        verbose_name_plural = _("provinces")

    def __str__(self):
        return self.name


class Ward(models.Model):
    """One of the 3,321 communes/wards; districts no longer exist."""

    code = models.PositiveIntegerField(_("code"), primary_key=True)
    name = models.CharField(_("name"), max_length=100)
    codename = models.CharField(_("code name"), max_length=100)
    division_type = models.CharField(_("division type"), max_length=50)
    province = models.ForeignKey(Province, on_delete=models.PROTECT, related_name="wards", verbose_name=_("province"))

    class Meta:
        ordering = ["province_id", "name"]
        verbose_name = _("commune/ward")
        verbose_name_plural = _("communes/wards")

    def __str__(self):
        return self.name


class LegacyProvince(models.Model):
    """A pre-2025 province (63 of them) and the present-day province it was merged into.

    Records filed with an old province code roll up into today's unit through `province`.
    """

    code = models.PositiveSmallIntegerField(_("former code"), primary_key=True)
    name = models.CharField(_("name"), max_length=100)
    codename = models.SlugField(_("code name"), max_length=100, unique=True)
    province = models.ForeignKey(
        Province, on_delete=models.PROTECT, related_name="legacy_provinces", verbose_name=_("merged into province")
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("pre-2025 province")
        verbose_name_plural = _("pre-2025 provinces")

    def __str__(self):
        return self.name
