"""Submitting an annual report: the canonical content, its hash, the version chain and the audit events.

A submitted report is frozen: what the enterprise saw and signed is stored as canonical JSON with its SHA-256
(manifests.content.content_hash, the same canonical form as the manifests' snapshots) and printed from that
content only, so later changes to manifests never alter it. A correction is a new version.
"""

from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts import audit, policy
from accounts.models import Membership, Site
from catalog.models import WasteCode
from manifests.content import content_hash

from ..models import AnnualReport
from . import periods, prefill

SCHEMA = 1
Kind = AnnualReport.Kind

# What the portal cannot know, entered per waste code (kg).
ENTRY_FIELDS = {
    Kind.GENERATOR: (
        ("self_treated_kg", gettext_lazy("Treated or recovered at the site itself (kg)")),
        ("exported_kg", gettext_lazy("Exported (kg)")),
        ("stored_kg", gettext_lazy("Stored at the site on 31 December (kg)")),
    ),
    Kind.FACILITY: (
        ("received_outside_kg", gettext_lazy("Received without an electronic manifest (kg)")),
        ("residues_kg", gettext_lazy("Residues produced by treatment (kg)")),
        ("exported_kg", gettext_lazy("Exported (kg)")),
        ("stored_kg", gettext_lazy("Stored at the facility on 31 December, as measured (kg)")),
    ),
}


class ReportError(Exception):
    def __init__(self, message, field=None):
        super().__init__(message)
        self.message = message
        self.field = field


def kind_of(site):
    """A treatment facility's site files the facility report (with its own residues); any other site the
    generator report."""
    return Kind.FACILITY if site.organisation.is_facility else Kind.GENERATOR




def prefill_for(site, year):
    return prefill.facility_prefill(site, year) if kind_of(site) == Kind.FACILITY else prefill.generator_prefill(site, year)


def entry_fields(kind):
    return [key for key, _label in ENTRY_FIELDS[kind]]


def _entered(kind, entries):
    """The entered rows as content: one per code, the code's name from the catalog, quantities as text."""
    fields = entry_fields(kind)
    codes = {}
    for code in WasteCode.objects.filter(code__in=[entry["waste_code"] for entry in entries]).order_by("code", "-version__effective_date"):
        codes.setdefault(code.code, code)
    rows = []
    for entry in sorted(entries, key=lambda e: e["waste_code"]):
        code = codes[entry["waste_code"]]
        row = {"waste_code": code.code, "waste_name": code.name_vi, "class_marker": code.class_marker}
        row.update({field: prefill.kg(entry.get(field)) for field in fields})
        rows.append(row)
    totals = {field: prefill.kg(sum((Decimal(row[field]) for row in rows), Decimal(0))) for field in fields}
    return rows, totals


def build_content(site, year, *, form, entries, note=""):
    """The canonical, JSON-ready content of a report of `site` for `year`: what the portal knows (prefill) and
    what the enterprise entered."""
    kind = kind_of(site)
    entered, entered_totals = _entered(kind, entries)
    return {
        "schema": SCHEMA,
        "kind": str(kind),
        "form": str(form),
        "year": year,
        "period": {"from": f"{year}-01-01", "to": f"{year}-12-31"},
        "organisation": {
            "name": site.organisation.name,
            "tax_code": site.organisation.tax_code,
            "address": site.organisation.address,
        },
        "site": {
            "id": site.pk,
            "name": site.name,
            "address": site.address,
            "province": {"code": site.province_id, "name": site.province.name},
            "legacy_code": site.legacy_code,
        },
        "prefill": prefill_for(site, year),
        "entered": entered,
        "entered_totals": entered_totals,
        "note": (note or "").strip(),
    }


def latest(site, year):
    return AnnualReport.objects.filter(site=site, year=year).order_by("-version").first()


@transaction.atomic
def submit(actor, site, year, *, form, entries, password, note="", context=audit.NO_CONTEXT, now=None):
    """Sign (password) and submit the report of `site` for `year`: version 1, or the next version superseding
    the latest one. `entries`: [{"waste_code": "17 02 03", "<entry field>": Decimal, …}], one per code."""
    if not policy.acts_at(actor, site.pk):
        raise PermissionDenied(_("Only members of the organisation who may act for this site submit its report."))
    if not periods.reportable(year):
        raise ReportError(_("Reports are filed for a calendar year that is over."))
    if not actor.check_password(password or ""):
        raise ReportError(_("The password is not correct."), field="password")
    if form not in AnnualReport.Form.values:
        raise ReportError(_("Choose the form."), field="form")
    # The site row is the lock: two submissions for one site take turns, and each gets its own version number.
    site = Site.objects.select_for_update(of=("self",)).select_related("organisation", "province").get(pk=site.pk)
    previous = latest(site, year)
    content = build_content(site, year, form=form, entries=entries, note=note)
    digest = content_hash(content)
    submitted_at = now or timezone.now()
    report = AnnualReport.objects.create(
        site=site,
        organisation=site.organisation,
        province=site.province,
        year=year,
        version=previous.version + 1 if previous else 1,
        supersedes=previous,
        kind=content["kind"],
        form=form,
        content=content,
        content_hash=digest,
        submitted_by=actor,
        submitted_at=submitted_at,
        due_by=periods.due_by(year),
        is_late=periods.is_late(year, submitted_at),
    )
    organisation = site.organisation
    role = policy.role_in(actor, organisation) or ""
    position = Membership.objects.filter(user=actor, organisation=organisation).values_list("position", flat=True).first() or ""
    audit.record(
        report.chain,
        "submitted",
        actor=actor,
        organisation=organisation,
        role=role,
        data={
            "site": site.pk,
            "year": year,
            "version": report.version,
            "form": form,
            "supersedes": previous.pk if previous else None,
            "late": report.is_late,
            "method": "password",
            "position": position,
            "content_hash": digest,
        },
        context=context,
    )
    if previous is not None:
        audit.record(
            previous.chain,
            "superseded",
            actor=actor,
            organisation=organisation,
            role=role,
            data={"by": report.pk, "version": report.version, "content_hash": digest},
            context=context,
        )
    return report
