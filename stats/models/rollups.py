"""Rollup tables kept by Celery after each transition and rebuilt in full (the statistics issue).

Raw manifests are the truth; these tables are what a `GROUP BY` over them gives (stats.rollups defines each
grouping once; the maintenance task, the full rebuild and `check_rollups` all use that one definition).

What counts (stats.rollups.counted): a manifest the generator has handed over (signed) and that was not cancelled.
Drafts, manifests awaiting the generator's signature and cancelled ones count nowhere.

Dates: a manifest belongs to the year and month of its handover (the generator's signature, Vietnam time) in
the tables of generation and flows (WasteMonth, ManifestMonth, GeneratorYear, GeneratorCode, Flow, FlowSite, and
SilentGenerator, derived from GeneratorYear); in the facilities' tables
(FacilityYear, FacilityIntake) to the year of its receipt, the year the licensed capacity is counted in
(manifests.CapacityUsage).

Measures per line:
- declared: the declared quantity, of original manifests only. A follow-up of a rejected load (return or
  redirect) declares nothing: its waste was declared once, by the manifest it continues;
- transported: the quantity confirmed at the gate (the declared one when none was confirmed), once picked up;
  a follow-up is a second trip and counts as transported again;
- received: the accepted received quantity (rejected lines are not received; their waste is received, if at
  all, by the redirect). A return to the generator is not received by a treatment facility: it counts neither
  as received nor as treated, and not in the facilities' tables;
- treated: the received quantity of a line whose treatment is recorded, under its actual treatment method
  (WasteMonth.method; empty while untreated).
Hence declared ≥ what reached treatment, and "share of declared waste treated" = treated / declared.
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

KG = {"max_digits": 18, "decimal_places": 2, "default": 0}


class Quantities(models.Model):
    declared_kg = models.DecimalField(_("declared (kg)"), **KG)
    transported_kg = models.DecimalField(_("transported (kg)"), **KG)
    received_kg = models.DecimalField(_("received (kg)"), **KG)
    treated_kg = models.DecimalField(_("treated (kg)"), **KG)
    manifests = models.PositiveIntegerField(_("manifests"), default=0)

    class Meta:
        abstract = True

    def __str__(self):
        return f"{type(self).__name__} {self.pk}"


class WasteFigures(Quantities):
    """The keys and figures WasteMonth and WasteYear share."""

    province = models.ForeignKey("gis.Province", on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    year = models.PositiveSmallIntegerField()
    waste_code = models.ForeignKey("catalog.WasteCode", on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    method = models.ForeignKey(
        "catalog.TreatmentMethod", on_delete=models.DO_NOTHING, db_constraint=False, null=True, related_name="+"
    )
    physical_state = models.CharField(max_length=10)
    lines = models.PositiveIntegerField(default=0)

    class Meta:
        abstract = True


class WasteMonth(WasteFigures):
    """Province (of the generator site, copied on the manifest) × year × month × waste code × actual treatment
    method × physical state. `manifests` counts distinct manifests in the row: it does not add up across codes
    (ManifestMonth does)."""

    month = models.PositiveSmallIntegerField()

    class Meta:
        verbose_name = _("waste per province and month")
        constraints = [
            models.UniqueConstraint(
                fields=["province", "year", "month", "waste_code", "method", "physical_state"],
                condition=Q(method__isnull=False),
                name="wastemonth_one_per_key",
            ),
            models.UniqueConstraint(
                fields=["province", "year", "month", "waste_code", "physical_state"],
                condition=Q(method__isnull=True),
                name="wastemonth_one_per_key_untreated",
            ),
        ]
        indexes = [models.Index(fields=["year", "province"], name="wastemonth_year_province")]


class WasteYear(WasteFigures):
    """WasteMonth without the month: what the dashboards' breakdowns of a year read (a twelfth of the rows)."""

    class Meta:
        verbose_name = _("waste per province and year")
        constraints = [
            models.UniqueConstraint(
                fields=["province", "year", "waste_code", "method", "physical_state"],
                condition=Q(method__isnull=False),
                name="wasteyear_one_per_key",
            ),
            models.UniqueConstraint(
                fields=["province", "year", "waste_code", "physical_state"],
                condition=Q(method__isnull=True),
                name="wasteyear_one_per_key_untreated",
            ),
        ]
        indexes = [models.Index(fields=["year", "province"], name="wasteyear_year_province")]


class ManifestMonth(Quantities):
    """Manifests per province × year × month, with the counts a dashboard shows (each manifest once)."""

    province = models.ForeignKey("gis.Province", on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    year = models.PositiveSmallIntegerField()
    month = models.PositiveSmallIntegerField()
    completed = models.PositiveIntegerField(default=0)
    refused = models.PositiveIntegerField(default=0)  # the whole shipment refused (status "rejected")
    with_rejection = models.PositiveIntegerField(default=0)  # any line rejected
    with_discrepancy = models.PositiveIntegerField(default=0)
    follow_ups = models.PositiveIntegerField(default=0)
    over_capacity = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("manifests per province and month")
        constraints = [models.UniqueConstraint(fields=["province", "year", "month"], name="manifestmonth_one_per_key")]


class GeneratorYear(Quantities):
    """Per generator site and year of handover."""

    year = models.PositiveSmallIntegerField()
    generator = models.ForeignKey("accounts.Organisation", on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    site = models.ForeignKey("accounts.Site", on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    province = models.ForeignKey("gis.Province", on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")

    class Meta:
        verbose_name = _("waste per generator site and year")
        constraints = [models.UniqueConstraint(fields=["year", "site"], name="generatoryear_one_per_key")]
        indexes = [
            models.Index(fields=["year", "-declared_kg"], name="generatoryear_top"),
            models.Index(fields=["year", "province", "-declared_kg"], name="generatoryear_province_top"),
            models.Index(fields=["generator", "year"], name="generatoryear_generator"),
        ]


class GeneratorCode(Quantities):
    """Per generator site, year of handover and waste code (an enterprise's figures by code)."""

    year = models.PositiveSmallIntegerField()
    generator = models.ForeignKey("accounts.Organisation", on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    site = models.ForeignKey("accounts.Site", on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    province = models.ForeignKey("gis.Province", on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    waste_code = models.ForeignKey("catalog.WasteCode", on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")

    class Meta:
        verbose_name = _("waste per generator site, year and code")
        constraints = [models.UniqueConstraint(fields=["site", "year", "waste_code"], name="generatorcode_one_per_key")]
        indexes = [
            models.Index(fields=["generator", "year"], name="generatorcode_generator"),
            # The sites map's waste-code filter: the sites that handed a code over (an index-only scan).
            models.Index(fields=["waste_code", "site"], name="generatorcode_code_site"),
        ]


class GeneratorSiteCode(models.Model):
    """Each waste code a generator site handed over, in any year, with the lines counted: the sites map's
    waste-code filter (one row per pair, where GeneratorCode has one per year, generator and province)."""

    site = models.ForeignKey("accounts.Site", on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    waste_code = models.ForeignKey("catalog.WasteCode", on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    lines = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("waste code of a generator site")
        constraints = [models.UniqueConstraint(fields=["waste_code", "site"], name="generatorsitecode_one_per_key")]
        indexes = [models.Index(fields=["site"], name="generatorsitecode_site")]

    def __str__(self):
        return f"{self.site_id}/{self.waste_code_id}"


class SiteFeature(models.Model):
    """A site on the map, its GeoJSON feature pre-written: one row per active, positioned site of an active
    organisation, on PostgreSQL only.

    Written by database triggers (migration 0008) on every insert, update and delete of a site and every change of
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


class SilentGenerator(models.Model):
    """Generators that declared waste in the two years before `year` but filed no manifest in it: the country's
    list (province empty) and each province's (a generator's sites in the province only). Derived from
    GeneratorYear (stats.rollups.SILENT) and kept with it, so the dashboards read a list instead of an anti-join.
    `declared_kg` is what the generator declared in the two years before."""

    year = models.PositiveSmallIntegerField()
    province = models.ForeignKey("gis.Province", on_delete=models.DO_NOTHING, db_constraint=False, null=True, related_name="+")
    generator = models.ForeignKey("accounts.Organisation", on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    declared_kg = models.DecimalField(_("declared (kg)"), **KG)

    class Meta:
        verbose_name = _("silent generator")
        constraints = [
            models.UniqueConstraint(fields=["year", "province", "generator"], condition=Q(province__isnull=False), name="silent_one_per_key"),
            models.UniqueConstraint(fields=["year", "generator"], condition=Q(province__isnull=True), name="silent_one_per_key_national"),
        ]
        indexes = [
            models.Index(fields=["year", "province", "-declared_kg"], name="silent_largest"),
            models.Index(fields=["generator", "year"], name="silent_generator"),
        ]

    def __str__(self):
        return f"{self.year}/{self.province_id}/{self.generator_id}"


class FacilityFigures(models.Model):
    """What a facility received under a permit in a year of receipt, and what of it is treated."""

    year = models.PositiveSmallIntegerField()
    permit = models.ForeignKey("accounts.Permit", on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    received_kg = models.DecimalField(_("received (kg)"), **KG)
    treated_kg = models.DecimalField(_("treated (kg)"), **KG)
    manifests = models.PositiveIntegerField(_("manifests"), default=0)

    class Meta:
        abstract = True


class FacilityYear(FacilityFigures):
    """Per treatment permit (facility site), year of receipt and actual treatment method (empty while untreated):
    received, treated, manifests. A permit's year is the sum of its rows; the licensed capacity is the permit's."""

    facility = models.ForeignKey("accounts.Organisation", on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    site = models.ForeignKey("accounts.Site", on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    province = models.ForeignKey("gis.Province", on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    method = models.ForeignKey(
        "catalog.TreatmentMethod", on_delete=models.DO_NOTHING, db_constraint=False, null=True, related_name="+"
    )

    class Meta:
        verbose_name = _("waste per facility and year")
        constraints = [
            models.UniqueConstraint(fields=["year", "permit", "method"], condition=Q(method__isnull=False), name="facilityyear_one_per_key"),
            models.UniqueConstraint(fields=["year", "permit"], condition=Q(method__isnull=True), name="facilityyear_one_per_key_untreated"),
        ]
        indexes = [models.Index(fields=["year", "province"], name="facilityyear_year_province")]

    def __str__(self):
        return f"{self.permit_id}/{self.year}"


class FacilityIntake(FacilityFigures):
    """Per treatment permit, year of receipt, generator and the generator site's province."""

    generator = models.ForeignKey("accounts.Organisation", on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    province = models.ForeignKey("gis.Province", on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")

    class Meta:
        verbose_name = _("facility intake per generator")
        constraints = [
            models.UniqueConstraint(fields=["permit", "year", "generator", "province"], name="facilityintake_one_per_key")
        ]

    def __str__(self):
        return f"{self.permit_id}/{self.year}/{self.generator_id}"


class Flow(models.Model):
    """Generator province → facility province, per facility and year of handover (the flow matrix)."""

    year = models.PositiveSmallIntegerField()
    province = models.ForeignKey("gis.Province", on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    facility_province = models.ForeignKey("gis.Province", on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    facility = models.ForeignKey("accounts.Organisation", on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    transported_kg = models.DecimalField(_("transported (kg)"), **KG)
    received_kg = models.DecimalField(_("received (kg)"), **KG)
    manifests = models.PositiveIntegerField(_("manifests"), default=0)

    class Meta:
        verbose_name = _("flow between provinces")
        constraints = [
            models.UniqueConstraint(fields=["year", "province", "facility_province", "facility"], name="flow_one_per_key")
        ]
        indexes = [models.Index(fields=["year", "facility_province"], name="flow_year_facility_province")]

    def __str__(self):
        return f"{self.year}: {self.province_id} → {self.facility_province_id}"


class FlowSite(models.Model):
    """Generator province → facility site (and the manifest's facility province), per year of handover and waste
    chapter: the declared quantity of original manifests. The flows map, and the figures generated in the
    provinces an official oversees (generated there, or sent to a facility there); Flow is per organisation."""

    year = models.PositiveSmallIntegerField()
    province = models.ForeignKey("gis.Province", on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    facility_province = models.ForeignKey("gis.Province", on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    facility_site = models.ForeignKey("accounts.Site", on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    chapter = models.ForeignKey("catalog.WasteChapter", on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    declared_kg = models.DecimalField(_("declared (kg)"), **KG)

    class Meta:
        verbose_name = _("flow to a facility site")
        constraints = [
            models.UniqueConstraint(
                fields=["year", "province", "facility_province", "facility_site", "chapter"], name="flowsite_one_per_key"
            )
        ]
        indexes = [models.Index(fields=["year", "facility_province"], name="flowsite_year_facility")]

    def __str__(self):
        return f"{self.year}: {self.province_id} → {self.facility_site_id}"


class ProvinceIntake(models.Model):
    """Generator province → facility province, per year of receipt and waste chapter: the quantity received and
    accepted under a treatment permit (the "treated in" maps: FacilityYear has no chapter nor generator province)."""

    year = models.PositiveSmallIntegerField()
    province = models.ForeignKey("gis.Province", on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    facility_province = models.ForeignKey("gis.Province", on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    chapter = models.ForeignKey("catalog.WasteChapter", on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    received_kg = models.DecimalField(_("received (kg)"), **KG)

    class Meta:
        verbose_name = _("waste received per pair of provinces")
        constraints = [
            models.UniqueConstraint(fields=["year", "province", "facility_province", "chapter"], name="provinceintake_one_per_key")
        ]
        indexes = [models.Index(fields=["year", "facility_province"], name="provinceintake_year_facility")]

    def __str__(self):
        return f"{self.year}: {self.province_id} → {self.facility_province_id}"


class Parties(models.Model):
    """A rollup keyed by a manifest's parties and provinces, under the manifest's own column names, so that the
    reading rule applies to its rows as to manifests (accounts.policy.parties_q): an enterprise's maps."""

    year = models.PositiveSmallIntegerField()
    generator = models.ForeignKey("accounts.Organisation", on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    generator_site = models.ForeignKey("accounts.Site", on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    facility = models.ForeignKey("accounts.Organisation", on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    facility_site = models.ForeignKey("accounts.Site", on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    transporter = models.ForeignKey("accounts.Organisation", on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    province = models.ForeignKey("gis.Province", on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    facility_province = models.ForeignKey("gis.Province", on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    chapter = models.ForeignKey("catalog.WasteChapter", on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")

    KEY = [
        "year", "generator_site", "facility_site", "transporter", "chapter", "generator", "facility", "province", "facility_province",
    ]  # fmt: skip

    class Meta:
        abstract = True

    def __str__(self):
        return f"{self.year}: {self.generator_site_id} → {self.facility_site_id}"


class PartyFlow(Parties):
    """The declared quantity of original manifests per year of handover, parties and chapter."""

    declared_kg = models.DecimalField(_("declared (kg)"), **KG)

    class Meta:
        verbose_name = _("flow between parties")
        constraints = [models.UniqueConstraint(fields=Parties.KEY, name="partyflow_one_per_key")]
        indexes = [
            models.Index(fields=["generator", "year"], name="partyflow_generator"),
            models.Index(fields=["facility", "year"], name="partyflow_facility"),
            models.Index(fields=["transporter", "year"], name="partyflow_transporter"),
        ]


class PartyIntake(Parties):
    """The quantity received and accepted under a treatment permit per year of receipt, parties and chapter."""

    received_kg = models.DecimalField(_("received (kg)"), **KG)

    class Meta:
        verbose_name = _("intake between parties")
        constraints = [models.UniqueConstraint(fields=Parties.KEY, name="partyintake_one_per_key")]
        indexes = [
            models.Index(fields=["generator", "year"], name="partyintake_generator"),
            models.Index(fields=["facility", "year"], name="partyintake_facility"),
            models.Index(fields=["transporter", "year"], name="partyintake_transporter"),
        ]


class RollupVersion(models.Model):
    """Counters that move whenever what the statistics read changes: `any` at every recompute and rebuild,
    `rebuild` at every rebuild, `year:Y` and `year:Y:province:P` when a recompute touches that year (and
    province), `reference` when a site, organisation, permit, province or catalog entry is saved or deleted. Cached figures are keyed on the counters they depend on, so
    a change is never hidden by a cache (stats.rollups.versions)."""

    scope = models.CharField(max_length=40, primary_key=True)
    value = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("rollup version")

    def __str__(self):
        return f"{self.scope}={self.value}"


class ExportJob(models.Model):
    """A long export run by Celery; its page shows the progress and, when done, a private download link."""

    class State(models.TextChoices):
        PENDING = "pending", _("Waiting")
        RUNNING = "running", _("Running")
        DONE = "done", _("Ready")
        FAILED = "failed", _("Failed")

    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=30)
    params = models.JSONField(default=dict)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    file = models.FileField(upload_to="exports/%Y/%m/", blank=True)
    filename = models.CharField(max_length=200, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("export job")

    def __str__(self):
        return f"{self.kind} {self.pk}"

    @property
    def percent(self):
        if self.state == self.State.DONE:
            return 100
        return int(100 * self.done / self.total) if self.total else 0


__all__ = [
    "ExportJob",
    "FacilityIntake",
    "FacilityYear",
    "Flow",
    "FlowSite",
    "GeneratorCode",
    "GeneratorSiteCode",
    "GeneratorYear",
    "ManifestMonth",
    "PartyFlow",
    "PartyIntake",
    "ProvinceIntake",
    "RollupVersion",
    "SilentGenerator",
    "SiteFeature",
    "WasteMonth",
    "WasteYear",
]
