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


class SiteFeature(models.Model):
    """A site on the map, its GeoJSON feature pre-written: one row per active, positioned site of an active
    organisation, on PostgreSQL only.

    Written by database triggers (migration 0002) on every insert, update and delete of a site and every change of
    an organisation's name, kinds or active flag, so bulk writes and `update()` keep it right too; the application
    never writes it. The sites GeoJSON then reads one narrow table and appends what depends on the day and the
    reader (permit status, link): a third of the cost of writing each feature from the sites and organisations
    (benchmarks/bench_gis.py). Other databases write the features row by row from the sites (gis.views.data).
    """

    site = models.OneToOneField(
        "accounts.Site", primary_key=True, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    organisation_id = models.BigIntegerField()
    province_id = models.IntegerField()
    # The feature up to its permit status: '{"type":"Feature",…,"province":79,"permit":"'.
    head = models.TextField()
    # The organisation's entry in the collection's "organisations": '"12":"Công ty …"'.
    organisation_entry = models.TextField()

    class Meta:
        default_permissions = ()

    def __str__(self):
        return str(self.site_id)
