"""The copy of record of a manifest (reportlab), and the PDF documents' entry points.

The copy names the form and its legal basis (settings: HWMS_MANIFEST_FORM, HWMS_MANIFEST_LEGAL_BASIS), prints the
parties with their registration and permit numbers, the lines, each signature as a block (manifests.signatures:
name, position, organisation, time, method, hash covered), the content hash with what it proves, and a QR code to
the public verification page. Texts follow the active language (the view activates the user's; Vietnamese by
default); the legal titles stay in Vietnamese in every language. The blocks shared with the completion certificate
are in manifests.pdf_blocks, the certificate in manifests.pdf_certificate.

Queries (`Printed.load`): the lines with their codes and methods, the codes' hazard properties, the signature
events, the latest snapshot, the transporter's transport permit; the origin or the follow-ups only when there are
some. `cached_manifest_pdf` serves a copy printed again within the minute from the cache (see there).
"""

import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, Spacer

from common.documents import (
    QRCode,
    escape,
    format_datetime,
    format_kg,
    format_number,
    grid,
    scaled_columns,
    styles,
)
from common.numbers import format_coordinates

from .models import Status
from .pdf_blocks import (
    CERTIFICATE_TITLE,
    LEGAL_TITLE,
    actual_treatment,
    build,
    facts,
    follow_ups,
    form_reference,
    hazards,
    header,
    integrity,
    integrity_facts,
    line_remark,
    links,
    load,
    method,
    parties,
    portal_url,
    section,
    signatures,
    total,
    transport_permit,
)
from .pdf_certificate import NotCompleted, render_certificate_pdf
from .selectors import packaging_totals
from .signatures import signature_blocks
from .verification import verify_url

__all__ = [
    "CERTIFICATE_TITLE",
    "LEGAL_TITLE",
    "NotCompleted",
    "Printed",
    "QRCode",
    "cached_manifest_pdf",
    "render_certificate_pdf",
    "render_manifest_pdf",
]


def _treatment(manifest, line):
    planned = method(line.planned_method, line.planned_method_note) or (_("Return to the generator") if manifest.is_return else "—")
    return "\n".join(
        [
            _("Planned: %(method)s") % {"method": planned},
            _("Actual: %(method)s") % {"method": actual_treatment(manifest, line)},
        ]
    )


def _lines_table(manifest, lines):
    columns = scaled_columns([6, 16, 34, 17, 16, 16, 16, 38, 24], numeric={4, 5, 6})
    header = [
        "#",
        _("Waste code, class and hazard"),
        _("Name and description"),
        _("Physical state and packaging"),
        _("Declared (kg)"),
        _("At pickup (kg)"),
        _("Received (kg)"),
        _("Treatment method"),
        _("Discrepancy or rejection"),
    ]
    rows = [
        [
            line.position,
            f"{line.waste_code.code}\n{hazards(line.waste_code)}",
            f"{line.waste_code.name}\n{line.description}",
            f"{line.get_physical_state_display()}\n{line.packaging_count} × {line.get_packaging_type_display()}",
            format_kg(line.quantity_kg),
            format_kg(line.pickup_quantity_kg),
            format_kg(line.received_quantity_kg),
            _treatment(manifest, line),
            line_remark(line),
        ]
        for line in lines
    ]
    # Packages per packaging type ("3 × Thùng phuy", "2 × Hộp"): drums are never added to boxes.
    packages = "\n".join(f"{package['count']} × {package['label']}" for package in packaging_totals(lines))
    footer = ["", "", _("Total"), packages, total(lines, "quantity_kg"), total(lines, "pickup_quantity_kg"), total(lines, "received_quantity_kg"), "", ""]
    return grid(header, rows, columns, footer=footer, extra=[("SPAN", (0, -1), (1, -1))])


def _hazard_legend(lines):
    """What the class markers and hazard property codes of the table mean."""
    markers, hazards = {}, {}
    for line in lines:
        markers[line.waste_code.class_marker] = line.waste_code.get_class_marker_display()
        for hazard in line.waste_code.hazard_properties.all():
            hazards[hazard.code] = hazard.name
    text = _("Classification: %(markers)s.") % {"markers": "; ".join(markers[key] for key in sorted(markers))}
    if hazards:
        text += " " + _("Hazard properties: %(properties)s.") % {"properties": "; ".join(f"{code} – {name}" for code, name in sorted(hazards.items()))}
    return Paragraph(escape(text), styles().small)


def _where(latitude, longitude, accuracy):
    """A recorded position with its hemispheres, as the pages print it ("10,6167° B, 106,7433° Đ (±12 m)")."""
    position = format_coordinates(latitude, longitude)
    if not position:
        return _("no position recorded")
    if accuracy is None:
        return position
    return _("%(position)s (±%(accuracy)s m)") % {"position": position, "accuracy": format_number(accuracy, 1)}


def _transport(manifest):
    rows = []
    if manifest.picked_up_at:
        rows.append(
            (
                _("Pickup"),
                _("%(time)s at %(position)s")
                % {"time": format_datetime(manifest.picked_up_at), "position": _where(manifest.pickup_latitude, manifest.pickup_longitude, manifest.pickup_accuracy_m)},
            )
        )
    else:
        rows.append((_("Pickup"), _("not yet picked up")))
    if manifest.delivered_at:
        rows.append(
            (
                _("Delivery"),
                _("%(time)s at %(position)s")
                % {
                    "time": format_datetime(manifest.delivered_at),
                    "position": _where(manifest.delivery_latitude, manifest.delivery_longitude, manifest.delivery_accuracy_m),
                },
            )
        )
    if manifest.received_at:
        if manifest.status == Status.REJECTED and manifest.rejection_reason:
            reception = _("Whole shipment rejected: %(reason)s") % {"reason": manifest.rejection_reason}
        elif manifest.has_discrepancy:
            reception = _("With a discrepancy (see the lines)")
        else:
            reception = _("As declared, within the tolerance")
        rows.append((_("Reception"), f"{format_datetime(manifest.received_at)} · {reception}"))
    if manifest.over_capacity:
        rows.append((_("Licensed capacity"), _("Received beyond the facility's licensed yearly capacity (flagged to the authorities).")))
    if manifest.cancelled_at:
        rows.append((_("Cancellation"), f"{format_datetime(manifest.cancelled_at)} · {manifest.cancel_reason}"))
    if manifest.note:
        rows.append((_("Note"), manifest.note))
    return facts(rows)


# --- the copy of record -----------------------------------------------------------------------------------


@dataclass
class Printed:
    """Everything the copy of record prints besides the manifest and the parties the view loaded."""

    lines: list
    follow_ups: list
    origin: object
    transport_permit: object
    blocks: list
    signed: bool
    snapshot: object
    unsigned_hash: str | None
    url: str | None
    portal: str

    @classmethod
    def load(cls, manifest, request=None):
        signed = bool(manifest.content_hash) and manifest.generator_signed_at is not None
        lines = load(manifest)
        snapshot, unsigned_hash = integrity_facts(manifest, signed)
        return cls(
            lines=lines,
            follow_ups=follow_ups(manifest),
            origin=manifest.origin if manifest.origin_id else None,
            transport_permit=transport_permit(manifest),
            blocks=signature_blocks(manifest),
            signed=signed,
            snapshot=snapshot,
            unsigned_hash=unsigned_hash,
            # Drafts are never verifiable: no QR code on them.
            url=verify_url(manifest, request) if manifest.status != Status.DRAFT else None,
            portal=portal_url("/", request),
        )


def render_manifest_pdf(manifest, request=None, printed=None):
    """The copy of record of `manifest` as PDF bytes (A4)."""
    printed = printed or Printed.load(manifest, request)
    lines, signed = printed.lines, printed.signed
    if not manifest.has_official_number:
        warning = _("DRAFT – not signed, without an official number; not valid for transport")
    elif not signed:
        warning = _("UNSIGNED DRAFT – not valid for transport")
    else:
        warning = ""
    story = [
        form_reference(),
        header(manifest, LEGAL_TITLE, _("Hazardous waste manifest – electronic copy of record"), printed.url, warning),
        *links(manifest, printed.follow_ups, request),
        section(1, _("Parties")),
        parties(manifest, printed.transport_permit),
        section(2, _("Waste")),
        _lines_table(manifest, lines),
        Spacer(0, 1 * mm),
        _hazard_legend(lines),
        section(3, _("Transport and reception")),
        _transport(manifest),
        *signatures(4, printed.blocks),
        integrity(5, manifest, signed, printed.snapshot, printed.unsigned_hash),
    ]
    return build(manifest, LEGAL_TITLE, story)


# --- the copy of record through the cache ----------------------------------------------------------------
# reportlab spends tens of milliseconds of CPU on a copy; a copy downloaded again within the minute (a second click,
# a phone's viewer fetching it twice, printing after viewing, each party opening it) is served from the cache. The
# key is a digest of every value the document prints: the manifest's row, its parties, sites, places, permit,
# vehicle and driver, the lines with their codes, hazard properties and methods, the origin and follow-ups, the
# transport permit, the signature blocks, the latest snapshot or the unsigned hash, the language, the verification
# address (its token changes on the hour), the portal's address, the form's settings and the print time in the
# footer (to the minute). A change to any of them changes the key: a stale copy is never served, and a copy served
# is exactly what a new rendering would print. Nothing in it depends on who downloads it.
PDF_CACHE_SECONDS = 120
# Moved when the layout changes, so that a copy laid out by the previous code is not served after a deployment.
PDF_LAYOUT_VERSION = 1


def _row(obj):
    """The loaded values of a row (a field left out by only() is not printed, and reading it would query)."""
    if obj is None:
        return None
    loaded = obj.__dict__
    return (obj._meta.label, tuple((field.attname, loaded[field.attname]) for field in obj._meta.concrete_fields if field.attname in loaded))


def _printed_values(manifest, printed):
    yield _row(manifest)
    for party in (manifest.generator, manifest.transporter, manifest.facility, manifest.permit, manifest.vehicle):
        yield _row(party)
    yield str(manifest.driver) if manifest.driver_id else None
    for site in (manifest.generator_site, manifest.facility_site):
        yield (_row(site), _row(site.province) if site.province_id else None, _row(site.ward) if site.ward_id else None)
    for line in printed.lines:
        code = line.waste_code
        yield (_row(line), _row(code), [(hazard.code, str(hazard.name)) for hazard in code.hazard_properties.all()])
        yield (_row(line.received_waste_code), _row(line.treatment_method), _row(line.planned_method))
    yield [(other.pk, other.number, other.origin_kind) for other in printed.follow_ups]
    yield (printed.origin.pk, printed.origin.number) if printed.origin is not None else None
    yield _row(printed.transport_permit)
    yield [repr(block) for block in printed.blocks]
    yield (printed.signed, _row(printed.snapshot), printed.unsigned_hash, printed.url, printed.portal)
    yield (settings.HWMS_MANIFEST_FORM, settings.HWMS_MANIFEST_LEGAL_BASIS, get_language(), format_datetime(timezone.now()))


def manifest_pdf_key(manifest, printed):
    digest = hashlib.sha256(repr(PDF_LAYOUT_VERSION).encode())
    for value in _printed_values(manifest, printed):
        digest.update(repr(value).encode())
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
