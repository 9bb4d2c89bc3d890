"""PDF documents of a manifest (reportlab): the copy of record and the completion certificate ("copy 4").

Both print the parties, the lines, the content hash and a QR code to the public verification page.
Texts follow the active language (the view activates the user's; Vietnamese by default); the legal
title of the form stays in Vietnamese in every language. Fonts, grids, the QR code and the numbered
A4 pages come from common.documents.
"""

import hashlib
from dataclasses import dataclass

from django.core.cache import cache
from django.db.models import Prefetch, prefetch_related_objects
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, Paragraph, Spacer, Table, TableStyle

from common.documents import (
    CONTENT_WIDTH,
    FONT,
    FONT_BOLD,
    MONO,
    WARN,
    Column,
    QRCode,
    build_pdf,
    escape,
    format_date,
    format_datetime,
    format_kg,
    grid,
    scaled_columns,
    styles,
    wrap,
)

from .content import content_hash, manifest_content
from .models import ManifestLine, ManifestSnapshot, Status
from .verification import event_label, verify_url

# The legal name of the form (Vietnamese law); printed as is whatever the reader's language.
LEGAL_TITLE = "CHỨNG TỪ CHẤT THẢI NGUY HẠI"


def _person(user):
    return str(user) if user is not None else ""


def _address(site):
    parts = [site.address, site.ward.name if site.ward_id else "", site.province.name if site.province_id else ""]
    return ", ".join(part for part in parts if part)


def _load(manifest):
    """Lines with their codes and methods in one query (content_hash reuses the same prefetch)."""
    prefetch_related_objects(
        [manifest],
        Prefetch(
            "lines",
            queryset=ManifestLine.objects.select_related("waste_code", "received_waste_code", "treatment_method").order_by("position"),
        ),
    )
    return list(manifest.lines.all())


def _latest_snapshot(manifest):
    return ManifestSnapshot.objects.filter(manifest=manifest).only("version", "step", "content_hash").order_by("-id").first()


SNAPSHOT_EVENTS = {"generator_signed": "signed", "revision": "revision.applied"}


def _header(manifest, subtitle, url, signed):
    """One table: the title rows and the key facts on the left, the QR code spanning them on the right."""
    label_width, qr_width = 34 * mm, 40 * mm
    text_width = CONTENT_WIDTH - qr_width
    if url:
        qr = QRCode(url, 36 * mm, caption=_("Scan to verify"))
    else:
        qr = wrap(_("A draft has no verification code yet."), FONT, 7.5, qr_width)
    rows = [[LEGAL_TITLE, "", qr], [wrap(subtitle, FONT_BOLD, 10.5, text_width), "", ""]]
    commands = [
        ("SPAN", (0, 0), (1, 0)),
        ("SPAN", (0, 1), (1, 1)),
        ("FONTNAME", (0, 0), (1, 1), FONT_BOLD),
        ("FONTSIZE", (0, 0), (1, 0), 15),
        ("LEADING", (0, 0), (1, 0), 19),
        ("FONTSIZE", (0, 1), (1, 1), 10.5),
        ("LEADING", (0, 1), (1, 1), 14),
        ("BOTTOMPADDING", (0, 1), (1, 1), 3 * mm),
    ]
    if not signed:
        rows.append([wrap(_("UNSIGNED DRAFT – not valid for transport"), FONT_BOLD, 11, text_width), "", ""])
        commands += [
            ("SPAN", (0, 2), (1, 2)),
            ("FONTNAME", (0, 2), (1, 2), FONT_BOLD),
            ("FONTSIZE", (0, 2), (1, 2), 11),
            ("LEADING", (0, 2), (1, 2), 14),
            ("TEXTCOLOR", (0, 2), (1, 2), WARN),
            ("BOTTOMPADDING", (0, 2), (1, 2), 2 * mm),
        ]
    first_fact = len(rows)
    facts = [
        (_("Manifest number"), manifest.number),
        (_("Version"), manifest.version),
        (_("Status"), manifest.get_status_display()),
        (_("Date of issue"), format_date(manifest.created_at)),
        (_("Planned pickup date"), format_date(manifest.planned_pickup_date)),
    ]
    rows += [[wrap(label, FONT_BOLD, 7.5, label_width - 2), wrap(value, FONT, 7.5, text_width - label_width), ""] for label, value in facts]
    commands += [
        ("SPAN", (2, 0), (2, -1)),
        ("FONTNAME", (0, first_fact), (0, -1), FONT_BOLD),
        ("FONTNAME", (1, first_fact), (1, first_fact), FONT_BOLD),  # the number
        ("FONTSIZE", (0, first_fact), (1, -1), 7.5),
        ("LEADING", (0, first_fact), (1, -1), 9.2),
        ("FONTNAME", (1, first_fact + 1), (1, -1), FONT),
        ("FONTNAME", (2, 0), (2, 0), FONT),
        ("FONTSIZE", (2, 0), (2, 0), 7.5),
        ("LEADING", (2, 0), (2, 0), 9),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("ALIGN", (2, 0), (2, 0), "CENTER"),
        ("LEFTPADDING", (0, 0), (-1, -1), 0),
        ("RIGHTPADDING", (0, 0), (-1, -1), 0),
        ("TOPPADDING", (0, 0), (-1, -1), 1),
    ]
    table = Table(rows, colWidths=[label_width, text_width - label_width, qr_width])
    table.setStyle(TableStyle(commands))
    return table


def _parties(manifest):
    generator, transporter, facility = manifest.generator, manifest.transporter, manifest.facility
    permit = manifest.permit

    def details(*lines):
        return "\n".join(line for line in lines if line)

    tax = _("Tax code: %(code)s")
    driver = _person(manifest.driver)
    names = [generator.name, transporter.name, facility.name]
    cells = [
        details(
            tax % {"code": generator.tax_code},
            _("Site: %(site)s") % {"site": manifest.generator_site.name},
            _address(manifest.generator_site),
            _("Province: %(province)s") % {"province": manifest.generator_site.province.name},
        ),
        details(
            tax % {"code": transporter.tax_code},
            transporter.address,
            _("Vehicle: %(plate)s") % {"plate": manifest.vehicle.plate} if manifest.vehicle_id else _("Vehicle: not yet assigned"),
            _("Driver: %(name)s") % {"name": driver} if driver else "",
        ),
        details(
            tax % {"code": facility.tax_code},
            _("Site: %(site)s") % {"site": manifest.facility_site.name},
            _address(manifest.facility_site),
            _("Permit %(number)s issued by %(issuer)s") % {"number": permit.number, "issuer": permit.issuer},
            _("Valid from %(start)s to %(end)s") % {"start": format_date(permit.valid_from), "end": format_date(permit.valid_until)},
        ),
    ]
    header = [_("Waste generator"), _("Transporter"), _("Treatment facility")]
    return grid(header, [names, cells], scaled_columns([1, 1, 1]), extra=[("FONTNAME", (0, 1), (-1, 1), FONT_BOLD)])


def _line_remark(line):
    remarks = []
    if line.rejected:
        remarks.append(_("Rejected: %(reason)s") % {"reason": line.rejection_reason})
    if line.received_waste_code_id and line.received_waste_code_id != line.waste_code_id:
        remarks.append(_("Received as code %(code)s") % {"code": line.received_waste_code.code})
    if line.discrepancy:
        remarks.append(_("Discrepancy: %(comment)s") % {"comment": line.discrepancy_comment})
    return "\n".join(remarks) or "—"


def _method(line):
    method = line.treatment_method
    return f"{method.code} – {method.name}"


def _treatment(line):
    if line.treatment_method_id is None:
        return "—"
    return f"{_method(line)}\n{format_date(line.treated_on)}"


def _lines_table(lines):
    columns = scaled_columns([7, 14, 35, 14, 17, 15, 15, 16, 21, 24], numeric={5, 6, 7})
    header = [
        "#",
        _("Waste code"),
        _("Name and description"),
        _("Physical state"),
        _("Packaging"),
        _("Declared (kg)"),
        _("At pickup (kg)"),
        _("Received (kg)"),
        _("Discrepancy or rejection"),
        _("Treatment"),
    ]
    rows = [
        [
            line.position,
            line.waste_code.code,
            f"{line.waste_code.name}\n{line.description}",
            line.get_physical_state_display(),
            f"{line.packaging_count} × {line.get_packaging_type_display()}",
            format_kg(line.quantity_kg),
            format_kg(line.pickup_quantity_kg),
            format_kg(line.received_quantity_kg),
            _line_remark(line),
            _treatment(line),
        ]
        for line in lines
    ]

    def total(field):
        values = [getattr(line, field) for line in lines if getattr(line, field) is not None]
        return format_kg(sum(values)) if values else "—"

    footer = ["", _("Total"), "", "", "", total("quantity_kg"), total("pickup_quantity_kg"), total("received_quantity_kg"), "", ""]
    return grid(header, rows, columns, footer=footer, extra=[("SPAN", (1, -1), (4, -1))])


SIGNATURE_METHODS = {
    "password": lambda: _("password re-entered on the portal"),
    "company_code": lambda: _("company signature code entered on the driver's phone"),
}


def _position(manifest):
    if manifest.pickup_latitude is None or manifest.pickup_longitude is None:
        return ""
    if manifest.pickup_accuracy_m is not None:
        return _("Position %(lat)s, %(lng)s (±%(accuracy)s m)") % {
            "lat": manifest.pickup_latitude,
            "lng": manifest.pickup_longitude,
            "accuracy": manifest.pickup_accuracy_m,
        }
    return _("Position %(lat)s, %(lng)s") % {"lat": manifest.pickup_latitude, "lng": manifest.pickup_longitude}


def _people(manifest):
    """The signers, in one query (the view's lookup does not join them)."""
    from django.contrib.auth import get_user_model

    ids = {manifest.generator_signed_by_id, manifest.driver_id, manifest.received_by_id} - {None}
    users = get_user_model().objects.in_bulk(ids) if ids else {}
    return {
        "generator": users.get(manifest.generator_signed_by_id),
        "driver": users.get(manifest.driver_id),
        "facility": users.get(manifest.received_by_id),
    }


def _signatures(manifest, people):
    method = SIGNATURE_METHODS.get(manifest.generator_signature_method)
    generator_signer = _person(people["generator"]) or manifest.generator.name
    vehicle = _("Vehicle %(plate)s") % {"plate": manifest.vehicle.plate} if manifest.vehicle_id else ""
    if manifest.status == Status.REJECTED and manifest.rejection_reason:
        reception = _("Whole shipment rejected: %(reason)s") % {"reason": manifest.rejection_reason}
    else:
        reception = _("With a discrepancy") if manifest.has_discrepancy else ""
    steps = [
        (
            _("Handover signed by the generator"),
            generator_signer if manifest.generator_signed_at else "",
            manifest.generator_signed_at,
            method() if method else "",
        ),
        (_("Pickup confirmed by the driver"), _person(people["driver"]), manifest.picked_up_at, "\n".join(p for p in (vehicle, _position(manifest)) if p)),
        (_("Delivery to the facility"), _person(people["driver"]) if manifest.delivered_at else "", manifest.delivered_at, ""),
        (_("Reception by the facility"), _person(people["facility"]), manifest.received_at, reception),
        (_("Completion (all accepted lines treated)"), manifest.facility.name if manifest.completed_at else "", manifest.completed_at, ""),
    ]
    if manifest.cancelled_at:
        steps.append((_("Cancellation"), "", manifest.cancelled_at, manifest.cancel_reason))
    rows = [[label, by or "—", format_datetime(when), details] for label, by, when, details in steps]
    columns = [Column(48 * mm), Column(38 * mm), Column(26 * mm), Column(CONTENT_WIDTH - 112 * mm)]
    return grid([_("Step"), _("By"), _("Time"), _("Details")], rows, columns)


def _hashes(manifest, signed, snapshot):
    """The integrity block: labels and SHA-256 hashes as one small table, kept on one page."""
    if signed:
        rows = [(_("Content hash (SHA-256) signed by the generator"), manifest.content_hash)]
        if snapshot is not None and snapshot.content_hash != manifest.content_hash:
            step = event_label(SNAPSHOT_EVENTS.get(snapshot.step, snapshot.step))
            label = _("Hash of the latest recorded content (version %(version)s, %(step)s)") % {"version": snapshot.version, "step": step}
            rows.append((label, snapshot.content_hash))
    else:
        rows = [(_("UNSIGNED DRAFT – content hash (SHA-256) of the current, unsigned content"), content_hash(manifest_content(manifest)))]
    data = [[_("Integrity")]]
    commands = [
        ("FONTNAME", (0, 0), (0, 0), FONT_BOLD),
        ("FONTSIZE", (0, 0), (0, 0), 10),
        ("LEADING", (0, 0), (0, 0), 13),
        ("TOPPADDING", (0, 0), (0, 0), 7),
        ("BOTTOMPADDING", (0, 0), (0, 0), 3),
        ("LEFTPADDING", (0, 0), (-1, -1), 0),
    ]
    for label, digest in rows:
        data += [[wrap(label, FONT, 7.5, CONTENT_WIDTH)], [digest]]
        commands += [
            ("FONTNAME", (0, len(data) - 2), (0, len(data) - 2), FONT),
            ("FONTSIZE", (0, len(data) - 2), (0, len(data) - 2), 7.5),
            ("TOPPADDING", (0, len(data) - 2), (0, len(data) - 2), 3),
            ("BOTTOMPADDING", (0, len(data) - 2), (0, len(data) - 2), 0),
            ("FONTNAME", (0, len(data) - 1), (0, len(data) - 1), MONO),
            ("FONTSIZE", (0, len(data) - 1), (0, len(data) - 1), 8),
            ("TOPPADDING", (0, len(data) - 1), (0, len(data) - 1), 0),
        ]
    table = Table(data, colWidths=[CONTENT_WIDTH], hAlign="LEFT")
    table.setStyle(TableStyle(commands))
    return KeepTogether([table])


def _build(manifest, story):
    footer = f"{manifest.number} · " + _("version %(version)s") % {"version": manifest.version}
    return build_pdf(story, f"{LEGAL_TITLE} {manifest.number}", footer_text=footer, subject=manifest.number)


@dataclass
class Printed:
    """What the copy of record prints beyond the manifest and the parties the view loaded (three queries)."""

    lines: list
    people: dict
    snapshot: object
    signed: bool
    url: str | None

    @classmethod
    def load(cls, manifest, request=None):
        signed = bool(manifest.content_hash) and manifest.generator_signed_at is not None
        return cls(
            lines=_load(manifest),
            people=_people(manifest),
            snapshot=_latest_snapshot(manifest) if signed else None,
            signed=signed,
            # Drafts are never verifiable: no QR code on them.
            url=verify_url(manifest, request) if manifest.status != Status.DRAFT else None,
        )


def render_manifest_pdf(manifest, request=None, printed=None):
    """The copy of record of `manifest` as PDF bytes (A4)."""
    st = styles()
    printed = printed or Printed.load(manifest, request)
    lines, signed, url = printed.lines, printed.signed, printed.url
    story = [
        _header(manifest, _("Hazardous waste manifest – electronic copy of record"), url, signed),
        Spacer(0, 4 * mm),
        _parties(manifest),
        Paragraph(escape(_("Waste")), st.section),
        _lines_table(lines),
    ]
    if manifest.note:
        story += [Spacer(0, 2 * mm), Paragraph(f"<b>{escape(_('Note'))}</b>: {escape(manifest.note)}", st.small)]
    story += [
        Paragraph(escape(_("Signatures and times (Vietnam time)")), st.section),
        _signatures(manifest, printed.people),
        _hashes(manifest, signed, printed.snapshot),
    ]
    return _build(manifest, story)


# --- the copy of record through the cache ----------------------------------------------------------------
# Rendering the PDF (reportlab) costs tens of milliseconds of CPU; a copy downloaded again within the minute
# (a second click, a phone's viewer fetching it twice, printing after viewing) is served from the cache. The key
# is a digest of every value the document prints: the manifest's row, its parties, sites, places, permit,
# vehicle, lines with their codes and methods, signers and latest snapshot, the language, the verification
# address (its token changes on the hour) and the print time in the footer (to the minute). A changed manifest,
# line, party or name changes the key, so a stale copy is never served; the same copy printed within the same
# minute is exactly what a new rendering would print.
PDF_CACHE_SECONDS = 120


def _row(obj):
    if obj is None:
        return None
    return (obj._meta.label, tuple(field.value_from_object(obj) for field in obj._meta.concrete_fields))


def _printed_rows(manifest, printed):
    sites = (manifest.generator_site, manifest.facility_site)
    related = (manifest.generator, manifest.transporter, manifest.facility, manifest.permit, manifest.vehicle)
    yield _row(manifest)
    yield from (_row(obj) for obj in related)
    for site in sites:
        yield (_row(site), _row(site.province if site.province_id else None), _row(site.ward if site.ward_id else None))
    for line in printed.lines:
        yield (_row(line), _row(line.waste_code), _row(line.received_waste_code), _row(line.treatment_method))
    yield tuple(sorted((role, _row(person)) for role, person in printed.people.items() if person is not None))
    yield _row(printed.snapshot)


def manifest_pdf_key(manifest, printed):
    digest = hashlib.sha256()
    for row in _printed_rows(manifest, printed):
        digest.update(repr(row).encode())
    digest.update(repr((get_language(), printed.url, format_datetime(timezone.now()))).encode())
    return f"manifest-pdf:{manifest.pk}:{digest.hexdigest()}"


def cached_manifest_pdf(manifest, request=None):
    """render_manifest_pdf, served from the cache when the same copy was printed within the minute."""
    printed = Printed.load(manifest, request)
    key = manifest_pdf_key(manifest, printed)
    content = cache.get(key)
    if content is None:
        content = render_manifest_pdf(manifest, request, printed)
        cache.set(key, content, PDF_CACHE_SECONDS)
    return content


class NotCompleted(ValueError):
    """A completion certificate exists only for a completed manifest."""


def render_certificate_pdf(manifest, request=None):
    """The completion certificate ("copy 4") of a completed manifest as PDF bytes (A4)."""
    if manifest.status != Status.COMPLETED or manifest.completed_at is None:
        raise NotCompleted(manifest.number)
    st = styles()
    lines = _load(manifest)
    url = verify_url(manifest, request)
    statement = _(
        "The hazardous waste of manifest %(number)s, handed over by %(generator)s (tax code %(tax_code)s) on "
        "%(picked_up)s and transported by %(transporter)s, was received by %(facility)s on %(received)s and "
        "treated as listed below. The manifest was completed on %(completed)s."
    ) % {
        "number": manifest.number,
        "generator": manifest.generator.name,
        "tax_code": manifest.generator.tax_code,
        "picked_up": format_datetime(manifest.picked_up_at),
        "transporter": manifest.transporter.name,
        "facility": manifest.facility.name,
        "received": format_datetime(manifest.received_at),
        "completed": format_datetime(manifest.completed_at),
    }
    rows = []
    for line in lines:
        if line.rejected:
            method = _("Rejected: %(reason)s") % {"reason": line.rejection_reason}
        elif line.treatment_method_id:
            method = _method(line)
        else:
            method = "—"
        code = line.received_waste_code or line.waste_code
        rows.append([line.position, code.code, f"{code.name}\n{line.description}", format_kg(line.received_quantity_kg), method, format_date(line.treated_on)])
    header = ["#", _("Waste code"), _("Name and description"), _("Received (kg)"), _("Treatment method"), _("Treated on")]
    treatment_table = grid(header, rows, scaled_columns([7, 16, 67, 20, 44, 24], numeric={3}))
    permit = manifest.permit
    story = [
        _header(manifest, _("Certificate of treatment completion (copy 4)"), url, signed=True),
        Spacer(0, 4 * mm),
        Paragraph(escape(statement), st.base),
        Spacer(0, 2 * mm),
        Paragraph(
            escape(
                _("Treatment facility: %(facility)s, site %(site)s, %(address)s; permit %(permit)s issued by %(issuer)s.")
                % {
                    "facility": manifest.facility.name,
                    "site": manifest.facility_site.name,
                    "address": _address(manifest.facility_site),
                    "permit": permit.number,
                    "issuer": permit.issuer,
                }
            ),
            st.base,
        ),
        Paragraph(escape(_("Treatment per line")), st.section),
        treatment_table,
        _hashes(manifest, True, _latest_snapshot(manifest)),
    ]
    return _build(manifest, story)
