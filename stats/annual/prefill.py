"""What the portal knows of a site's year, read from the manifests (the raw rows, not the rollups).

Generator part (form 05.A / 05.B, "hazardous waste handed over"), per waste code, treatment method, receiving
facility and its permit:
- a manifest counts when the waste left the site in the year: the pickup of the manifest, or for a follow-up
  manifest (return or redirect of a rejected load) the pickup of the manifest it continues (up to two links
  back: a load redirected twice still counts in the year it left the site);
- per line: the code the facility recorded (else the declared one), the quantity received (else confirmed at
  the gate, else declared: a load still on the road at the year's end), the treatment method recorded (else the
  planned one, marked "planned");
- rejected lines are not handed over to that facility. A redirect of a rejected load is a handover to the second
  facility (its lines count there). A return to the generator is no transfer to a facility: its lines are listed
  apart ("returned to the site") and counted in no total; the waste is back on site (stored, or handed over again
  under a new manifest);
- drafts, cancelled manifests and manifests not yet picked up are not handed over.

Facility part (treatment facilities): received in the year (by receipt time) per generator, province of the
generator site (recorded on the manifest) and code, rejected lines and returns excluded; treated in the year per
method and code (by treatment date); stock per code (opening + received − treated = closing); onward movements of
loads rejected here (redirects to another facility, returns to the generator, by their pickup here); residues the
facility handed over under its own manifests (the generator part of the same site).
"""

import datetime as dt
from decimal import Decimal

from django.db.models import Case, CharField, Count, F, Q, Sum, Value, When
from django.db.models.functions import Coalesce

from accounts.models import Organisation, Permit, Site
from catalog.models import TreatmentMethod, WasteCode
from gis.models import Province
from manifests.models import FollowUp, ManifestLine, Status

from .periods import year_bounds

CENT = Decimal("0.01")
HANDED_OVER = [Status.IN_TRANSIT, Status.DELIVERED, Status.RECEIVED, Status.COMPLETED, Status.REJECTED]
# The time the waste left the generator site: the manifest's pickup, or that of the manifest it continues.
LEFT_SITE_AT = Coalesce("manifest__origin__origin__picked_up_at", "manifest__origin__picked_up_at", "manifest__picked_up_at")
CODE = Coalesce("received_waste_code_id", "waste_code_id")
QUANTITY = Coalesce("received_quantity_kg", "pickup_quantity_kg", "quantity_kg")
ACTUAL, PLANNED = "actual", "planned"


def kg(value):
    """A quantity as JSON text with two decimals ("0.00" for none)."""
    return str((value or Decimal(0)).quantize(CENT))


def _total(rows, key="quantity_kg"):
    return kg(sum((Decimal(row[key]) for row in rows), Decimal(0)))


class _Names:
    """The codes, methods, sites, permits, organisations and provinces named by aggregated rows, one query per
    kind whatever the number of rows."""

    def __init__(self, rows, *, code=None, method=None, site=None, permit=None, organisation=None, province=None):
        def ids(key):
            return {row[key] for row in rows if row[key] is not None} if key else set()

        self.codes = WasteCode.objects.in_bulk(ids(code))
        self.methods = TreatmentMethod.objects.in_bulk(ids(method))
        self.sites = Site.objects.select_related("organisation").in_bulk(ids(site))
        self.permits = Permit.objects.in_bulk(ids(permit))
        self.organisations = Organisation.objects.in_bulk(ids(organisation))
        self.provinces = Province.objects.in_bulk(ids(province))

    def code(self, pk):
        code = self.codes[pk]
        return {"waste_code": code.code, "waste_name": code.name_vi, "class_marker": code.class_marker}

    def method(self, pk, note=""):
        method = self.methods.get(pk)
        if method is None:
            return {"method": "", "method_name": ""}
        return {"method": method.code, "method_name": method.name_vi + (f": {note}" if note else "")}

    def site(self, pk):
        site = self.sites[pk]
        return {"name": site.organisation.name, "tax_code": site.organisation.tax_code, "site": site.name}

    def permit(self, pk):
        return self.permits[pk].number if pk in self.permits else ""

    def organisation(self, pk):
        organisation = self.organisations[pk]
        return {"name": organisation.name, "tax_code": organisation.tax_code}

    def province(self, pk):
        return {"code": pk, "name": self.provinces[pk].name}


def _moved(names, row):
    """Where an aggregated row of manifest lines went (facility site and permit), how much and under how many
    manifests."""
    return {
        "facility": names.site(row["manifest__facility_site_id"]),
        "permit": names.permit(row["manifest__permit_id"]),
        "quantity_kg": kg(row["quantity"]),
        "manifests": row["manifests"],
    }


def _left_site_in(site_id, year):
    start, end = year_bounds(year)
    return (
        ManifestLine.objects.filter(manifest__generator_site_id=site_id, manifest__status__in=HANDED_OVER, rejected=False)
        .alias(left_site_at=LEFT_SITE_AT)
        .filter(left_site_at__gte=start, left_site_at__lt=end)
    )


def handed_over(site_id, year):
    """Rows {waste_code, waste_name, class_marker, method, method_name, method_source, facility, permit,
    quantity_kg, manifests} of what left the site in the year for a treatment facility."""
    rows = list(
        _left_site_in(site_id, year)
        .exclude(manifest__origin_kind=FollowUp.RETURN)
        .annotate(
            code=CODE,
            method_id=Coalesce("treatment_method_id", "planned_method_id"),
            source=Case(
                When(treatment_method__isnull=False, then=Value(ACTUAL)),
                When(planned_method__isnull=False, then=Value(PLANNED)),
                default=Value(""),
                output_field=CharField(),
            ),
            note=Case(When(treatment_method__isnull=False, then=F("treatment_note")), default=F("planned_method_note")),
        )
        .values("code", "method_id", "source", "note", "manifest__facility_site_id", "manifest__permit_id")
        .annotate(quantity=Sum(QUANTITY), manifests=Count("manifest_id", distinct=True))
        .order_by()
    )
    names = _Names(rows, code="code", method="method_id", site="manifest__facility_site_id", permit="manifest__permit_id")
    result = [
        {
            **names.code(row["code"]),
            **names.method(row["method_id"], row["note"]),
            "method_source": row["source"],
            **_moved(names, row),
        }
        for row in rows
    ]
    return sorted(result, key=lambda r: (r["waste_code"], r["facility"]["name"], r["method"], r["method_source"], r["method_name"]))


def returned(site_id, year):
    """Rows {waste_code, waste_name, class_marker, quantity_kg, manifests}: rejected loads of the year's
    handovers that came back to the site (return manifests). Counted in no total."""
    rows = list(
        _left_site_in(site_id, year)
        .filter(manifest__origin_kind=FollowUp.RETURN)
        .annotate(code=CODE)
        .values("code")
        .annotate(quantity=Sum(QUANTITY), manifests=Count("manifest_id", distinct=True))
        .order_by()
    )
    names = _Names(rows, code="code")
    result = [{**names.code(row["code"]), "quantity_kg": kg(row["quantity"]), "manifests": row["manifests"]} for row in rows]
    return sorted(result, key=lambda r: r["waste_code"])


def _accepted_at(site_id):
    return ManifestLine.objects.filter(manifest__facility_site_id=site_id, rejected=False, manifest__received_at__isnull=False).exclude(
        manifest__origin_kind=FollowUp.RETURN
    )


def received(site_id, year):
    """Rows {generator, province, waste_code, …, quantity_kg, manifests} accepted by the facility site in the year."""
    start, end = year_bounds(year)
    rows = list(
        _accepted_at(site_id)
        .filter(manifest__received_at__gte=start, manifest__received_at__lt=end)
        .annotate(code=CODE)
        .values("manifest__generator_id", "manifest__province_id", "code")
        .annotate(quantity=Sum("received_quantity_kg"), manifests=Count("manifest_id", distinct=True))
        .order_by()
    )
    names = _Names(rows, code="code", organisation="manifest__generator_id", province="manifest__province_id")
    result = [
        {
            "generator": names.organisation(row["manifest__generator_id"]),
            "province": names.province(row["manifest__province_id"]),
            **names.code(row["code"]),
            "quantity_kg": kg(row["quantity"]),
            "manifests": row["manifests"],
        }
        for row in rows
    ]
    return sorted(result, key=lambda r: (r["generator"]["name"], r["province"]["code"], r["waste_code"]))


def treated(site_id, year):
    """Rows {method, method_name, waste_code, …, quantity_kg} treated at the site in the year (treatment date)."""
    rows = list(
        _accepted_at(site_id)
        .filter(treated_on__gte=dt.date(year, 1, 1), treated_on__lte=dt.date(year, 12, 31))
        .annotate(code=CODE)
        .values("treatment_method_id", "treatment_note", "code")
        .annotate(quantity=Sum("received_quantity_kg"))
        .order_by()
    )
    names = _Names(rows, code="code", method="treatment_method_id")
    result = [{**names.method(row["treatment_method_id"], row["treatment_note"]), **names.code(row["code"]), "quantity_kg": kg(row["quantity"])} for row in rows]
    return sorted(result, key=lambda r: (r["method"], r["method_name"], r["waste_code"]))


def stock(site_id, year):
    """Rows {waste_code, …, opening_kg, received_kg, treated_kg, closing_kg} per code: accepted and not yet
    treated at the start of the year, accepted and treated in the year, and what remains at its end."""
    start, end = year_bounds(year)
    first_day, last_day = dt.date(year, 1, 1), dt.date(year, 12, 31)
    rows = list(
        _accepted_at(site_id)
        .filter(Q(treated_on__isnull=True) | Q(treated_on__gte=first_day), manifest__received_at__lt=end)
        .annotate(code=CODE)
        .values("code")
        .annotate(
            opening=Sum("received_quantity_kg", filter=Q(manifest__received_at__lt=start)),
            received=Sum("received_quantity_kg", filter=Q(manifest__received_at__gte=start)),
            treated=Sum("received_quantity_kg", filter=Q(treated_on__lte=last_day)),
        )
        .order_by()
    )
    names = _Names(rows, code="code")
    result = []
    for row in rows:
        opening, received_kg, treated_kg = (row[key] or Decimal(0) for key in ("opening", "received", "treated"))
        result.append(
            {
                **names.code(row["code"]),
                "opening_kg": kg(opening),
                "received_kg": kg(received_kg),
                "treated_kg": kg(treated_kg),
                "closing_kg": kg(opening + received_kg - treated_kg),
            }
        )
    return sorted(result, key=lambda r: r["waste_code"])


def onward(site_id, year):
    """Rows {kind, facility (the destination), permit, waste_code, …, quantity_kg, manifests}: loads rejected at the site that
    left it in the year under a follow-up manifest (redirect to another facility, or return to the generator)."""
    start, end = year_bounds(year)
    rows = list(
        ManifestLine.objects.filter(
            manifest__origin__facility_site_id=site_id, manifest__picked_up_at__gte=start, manifest__picked_up_at__lt=end
        )
        .annotate(code=Coalesce("received_waste_code_id", "waste_code_id"), left_kg=Coalesce("pickup_quantity_kg", "quantity_kg"))
        .values("manifest__origin_kind", "manifest__facility_site_id", "manifest__permit_id", "code")
        .annotate(quantity=Sum("left_kg"), manifests=Count("manifest_id", distinct=True))
        .order_by()
    )
    names = _Names(rows, code="code", site="manifest__facility_site_id", permit="manifest__permit_id")
    result = [
        {
            "kind": row["manifest__origin_kind"],
            **names.code(row["code"]),
            **_moved(names, row),
        }
        for row in rows
    ]
    return sorted(result, key=lambda r: (r["kind"], r["facility"]["name"], r["waste_code"]))


def generator_prefill(site, year):
    rows = handed_over(site.pk, year)
    return {"handed_over": rows, "returned": returned(site.pk, year), "handed_over_kg": _total(rows)}


def facility_prefill(site, year):
    received_rows, treated_rows, residues = received(site.pk, year), treated(site.pk, year), handed_over(site.pk, year)
    return {
        "received": received_rows,
        "treated": treated_rows,
        "stock": stock(site.pk, year),
        "onward": onward(site.pk, year),
        "residues": residues,
        "received_kg": _total(received_rows),
        "treated_kg": _total(treated_rows),
        "residues_kg": _total(residues),
    }
