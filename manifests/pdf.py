"""PDF documents of a manifest (reportlab): the copy of record and the completion certificate ("copy 4").

Both name the form and its legal basis (settings: HWMS_MANIFEST_FORM, HWMS_MANIFEST_LEGAL_BASIS), print the
parties with their registration and permit numbers, the lines, each signature as a block (manifests.signatures:
name, position, organisation, time, method, hash covered), the content hash with what it proves, and a QR code to
the public verification page. Texts follow the active language (the view activates the user's; Vietnamese by
default); the legal titles stay in Vietnamese in every language. Fonts, grids, the QR code and the numbered A4
pages ("Trang x/y") come from common.documents.

Queries: the lines with their codes and methods, the codes' hazard properties, the signature events, the latest
snapshot, the transporter's transport permit; the origin or the follow-ups only when there are some.
"""

from dataclasses import replace

from django.conf import settings
from django.db.models import Prefetch, prefetch_related_objects
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, Paragraph, Spacer, Table, TableStyle

from accounts.models import Permit
from common.documents import (
    CONTENT_WIDTH,
    FONT,
    FONT_BOLD,
    GRID,
    HEAD_BG,
    MONO,
    MUTED,
    PAD,
    WARN,
    Column,
    QRCode,
    build_pdf,
    cell,
    escape,
    format_date,
    format_datetime,
    format_kg,
    format_number,
    grid,
    scaled_columns,
    styles,
    wrap,
)
from common.numbers import format_coordinates

from .content import content_hash, manifest_content
from .models import FollowUp, ManifestLine, ManifestSnapshot, Status
from .selectors import packaging_totals
from .signatures import signature_blocks
from .verification import event_label, verify_url

# The legal names of the documents (Vietnamese law); printed as is whatever the reader's language.
LEGAL_TITLE = "CHỨNG TỪ CHẤT THẢI NGUY HẠI"
CERTIFICATE_TITLE = "GIẤY XÁC NHẬN HOÀN THÀNH XỬ LÝ CTNH"

SNAPSHOT_EVENTS = {"generator_signed": "signed", "revision": "revision.applied"}


def _person(user):
    return str(user) if user is not None else ""


def _address(site):
    parts = [site.address, site.ward.name if site.ward_id else "", site.province.name if site.province_id else ""]
    return ", ".join(part for part in parts if part)


def _portal_url(path, request):
    site_url = (getattr(settings, "SITE_URL", "") or "").rstrip("/")
    if site_url:
        return f"{site_url}{path}"
    return request.build_absolute_uri(path) if request is not None else path


# --- what the documents read ------------------------------------------------------------------------------


def _load(manifest):
    """Lines with their codes, methods and hazard properties in two queries (content_hash reuses the prefetch)."""
    prefetch_related_objects(
        [manifest],
        Prefetch(
            "lines",
            queryset=ManifestLine.objects.select_related("waste_code", "received_waste_code", "treatment_method", "planned_method")
            .prefetch_related("waste_code__hazard_properties")
            .order_by("position"),
        ),
    )
    return list(manifest.lines.all())


def _latest_snapshot(manifest):
    return ManifestSnapshot.objects.filter(manifest=manifest).only("version", "step", "content_hash").order_by("-id").first()


def _transport_permit(manifest):
    """The transporter's permit covering hazardous waste transport (the one listing the vehicle when there is one),
    in force on the pickup day or today; None for the generator's own transport or when none is in force."""
    if manifest.transporter_id == manifest.generator_id:
        return None
    day = timezone.localtime(manifest.picked_up_at).date() if manifest.picked_up_at else None
    permits = Permit.transport_permits(manifest.transporter_id, day)
    if manifest.vehicle_id:
        permits = permits.filter(vehicles=manifest.vehicle_id)
    return permits.only("number", "issuer", "valid_from", "valid_until").first()


def _follow_ups(manifest):
    if not (manifest.has_rejection and manifest.pk):
        return []
    return list(manifest.follow_ups.only("pk", "number", "origin_kind").order_by("pk"))


# --- the title block --------------------------------------------------------------------------------------


def _form_reference():
    """The form's reference, top right as on the paper forms."""
    style = ParagraphStyle("form", parent=styles().small, alignment=TA_RIGHT, textColor=MUTED)
    return Paragraph(escape(settings.HWMS_MANIFEST_FORM), style)


def _header(manifest, title, subtitle, url, warning=""):
    """One table: the title rows and the key facts on the left, the QR code spanning them on the right."""
    label_width, qr_width = 34 * mm, 40 * mm
    text_width = CONTENT_WIDTH - qr_width
    if url:
        qr = QRCode(url, 36 * mm, caption=_("Scan to verify"))
    else:
        qr = wrap(_("A draft has no verification code yet."), FONT, 7.5, qr_width)
    basis = _("Legal basis: %(basis)s.") % {"basis": settings.HWMS_MANIFEST_LEGAL_BASIS}
    rows = [
        [title, "", qr],
        [wrap(subtitle, FONT_BOLD, 10.5, text_width), "", ""],
        [wrap(basis, FONT, 7.5, text_width), "", ""],
    ]
    commands = [
        ("SPAN", (0, 0), (1, 0)),
        ("SPAN", (0, 1), (1, 1)),
        ("SPAN", (0, 2), (1, 2)),
        ("FONTNAME", (0, 0), (1, 1), FONT_BOLD),
        ("FONTSIZE", (0, 0), (1, 0), 15),
        ("LEADING", (0, 0), (1, 0), 19),
        ("FONTSIZE", (0, 1), (1, 1), 10.5),
        ("LEADING", (0, 1), (1, 1), 14),
        ("FONTNAME", (0, 2), (1, 2), FONT),
        ("FONTSIZE", (0, 2), (1, 2), 7.5),
        ("LEADING", (0, 2), (1, 2), 9.5),
        ("TEXTCOLOR", (0, 2), (1, 2), MUTED),
        ("BOTTOMPADDING", (0, 2), (1, 2), 3 * mm),
    ]
    if warning:
        rows.append([wrap(warning, FONT_BOLD, 10, text_width), "", ""])
        commands += [
            ("SPAN", (0, 3), (1, 3)),
            ("FONTNAME", (0, 3), (1, 3), FONT_BOLD),
            ("FONTSIZE", (0, 3), (1, 3), 10),
            ("LEADING", (0, 3), (1, 3), 13),
            ("TEXTCOLOR", (0, 3), (1, 3), WARN),
            ("BOTTOMPADDING", (0, 3), (1, 3), 2 * mm),
        ]
    first_fact = len(rows)
    if manifest.has_official_number:
        number = manifest.number
    else:
        number = _("%(reference)s (temporary reference, not an official number)") % {"reference": manifest.number}
    facts = [
        (_("Manifest number"), number),
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
        ("LINEBELOW", (0, -1), (-1, -1), 0.8, GRID),
        ("BOTTOMPADDING", (0, -1), (-1, -1), 2 * mm),
    ]
    table = Table(rows, colWidths=[label_width, text_width - label_width, qr_width])
    table.setStyle(TableStyle(commands))
    return table


def _section(number, title):
    return Paragraph(f"{number}. {escape(title)}", styles().section)


# --- the parties --------------------------------------------------------------------------------------------


def _phone(organisation):
    return _("Phone: %(phone)s") % {"phone": organisation.phone or "—"}


def _parties(manifest, transport_permit):
    generator, transporter, facility = manifest.generator, manifest.transporter, manifest.facility
    permit = manifest.permit

    def details(*lines):
        return "\n".join(line for line in lines if line)

    tax = _("Tax code: %(code)s")
    site = _("Site: %(site)s")
    generator_site, facility_site = manifest.generator_site, manifest.facility_site
    if manifest.transporter_id == manifest.generator_id:
        transport = _("Transport by the generator itself, in its own vehicles")
    elif transport_permit is not None:
        transport = _("Transport permit %(number)s issued by %(issuer)s, valid until %(end)s") % {
            "number": transport_permit.number,
            "issuer": transport_permit.issuer,
            "end": format_date(transport_permit.valid_until),
        }
    else:
        transport = _("Transport permit: none in force on record")
    if permit is not None:
        facility_permit = details(
            _("Permit %(number)s issued by %(issuer)s") % {"number": permit.number, "issuer": permit.issuer},
            _("Valid from %(start)s to %(end)s") % {"start": format_date(permit.valid_from), "end": format_date(permit.valid_until)},
        )
    else:
        facility_permit = _("Return to the generator: the waste goes back to its generator; no treatment permit applies.")
    cells = [
        details(
            tax % {"code": generator.tax_code},
            _("Former hazardous waste management code: %(code)s") % {"code": generator_site.legacy_code} if generator_site.legacy_code else "",
            site % {"site": generator_site.name},
            _address(generator_site),
            _phone(generator),
        ),
        details(
            tax % {"code": transporter.tax_code},
            transporter.address,
            transport,
            _("Vehicle: %(plate)s") % {"plate": manifest.vehicle.plate} if manifest.vehicle_id else _("Vehicle: not yet assigned"),
            _("Driver: %(name)s") % {"name": _person(manifest.driver)} if manifest.driver_id else "",
            _phone(transporter),
        ),
        details(
            tax % {"code": facility.tax_code},
            site % {"site": facility_site.name},
            _address(facility_site),
            facility_permit,
            _phone(facility),
        ),
    ]
    receiver = _("Receiving party (return to the generator)") if permit is None else _("Treatment facility")
    header = [_("Waste generator"), _("Transporter"), receiver]
    names = [generator.name, transporter.name, facility.name]
    return grid(header, [names, cells], scaled_columns([1, 1, 1]), extra=[("FONTNAME", (0, 1), (-1, 1), FONT_BOLD)])


def _links(manifest, follow_ups, request):
    """The origin of a return or redirect, and the follow-ups of a rejected load, as links to the portal."""
    st = styles()
    paragraphs = []

    def link(other):
        url = _portal_url(reverse("manifests:detail", args=[other.pk]), request)
        return f'<link href="{escape(url)}" color="#1d4ed8"><u>{escape(other.number)}</u></link>'

    if manifest.origin_id:
        if manifest.is_return:
            text = _("Return to the generator of the load rejected under manifest %(number)s.")
        else:
            text = _("Redirect to another licensed facility of the load rejected under manifest %(number)s.")
        paragraphs.append(Paragraph(escape(text).replace("%(number)s", link(manifest.origin)), st.small))
    for other in follow_ups:
        if other.origin_kind == FollowUp.RETURN:
            text = _("The rejected load returns to the generator under manifest %(number)s.")
        else:
            text = _("The rejected load goes to another licensed facility under manifest %(number)s.")
        paragraphs.append(Paragraph(escape(text).replace("%(number)s", link(other)), st.small))
    return paragraphs


# --- the lines ----------------------------------------------------------------------------------------------


def _method(method, note):
    if method is None:
        return ""
    if method.is_other:
        return f"{method.name}: {note}" if note else method.name
    return f"{method.code} – {method.name}"


def _hazards(code):
    """The class marker and the hazard property codes of a waste code ("NH · C, Đ")."""
    properties = ", ".join(hazard.code for hazard in code.hazard_properties.all())
    return f"{code.class_marker} · {properties}" if properties else code.class_marker


def _line_remark(line):
    remarks = []
    if line.pickup_discrepancy:
        remarks.append(
            _("At pickup %(pickup)s kg against %(declared)s kg declared") % {"pickup": format_kg(line.pickup_quantity_kg), "declared": format_kg(line.quantity_kg)}
        )
    if line.rejected:
        remarks.append(_("Rejected: %(reason)s") % {"reason": line.rejection_reason})
    if line.received_waste_code_id and line.received_waste_code_id != line.waste_code_id:
        remarks.append(_("Received as code %(code)s") % {"code": line.received_waste_code.code})
    if line.discrepancy:
        remarks.append(_("Discrepancy: %(comment)s") % {"comment": line.discrepancy_comment or "—"})
    return "\n".join(remarks) or "—"


def _actual_treatment(manifest, line):
    if line.treatment_method_id is not None:
        return f"{_method(line.treatment_method, line.treatment_note)}, {format_date(line.treated_on)}"
    if manifest.is_return and manifest.status == Status.COMPLETED:
        return _("Returned to the generator")
    return "—"


def _treatment(manifest, line):
    planned = _method(line.planned_method, line.planned_method_note) or (_("Return to the generator") if manifest.is_return else "—")
    return "\n".join(
        [
            _("Planned: %(method)s") % {"method": planned},
            _("Actual: %(method)s") % {"method": _actual_treatment(manifest, line)},
        ]
    )


def _total(lines, field):
    values = [getattr(line, field) for line in lines if getattr(line, field) is not None]
    return format_kg(sum(values)) if values else "—"


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
            f"{line.waste_code.code}\n{_hazards(line.waste_code)}",
            f"{line.waste_code.name}\n{line.description}",
            f"{line.get_physical_state_display()}\n{line.packaging_count} × {line.get_packaging_type_display()}",
            format_kg(line.quantity_kg),
            format_kg(line.pickup_quantity_kg),
            format_kg(line.received_quantity_kg),
            _treatment(manifest, line),
            _line_remark(line),
        ]
        for line in lines
    ]
    # Packages per packaging type ("3 × Thùng phuy", "2 × Hộp"): drums are never added to boxes.
    packages = "\n".join(f"{package['count']} × {package['label']}" for package in packaging_totals(lines))
    footer = ["", "", _("Total"), packages, _total(lines, "quantity_kg"), _total(lines, "pickup_quantity_kg"), _total(lines, "received_quantity_kg"), "", ""]
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


# --- transport and reception ------------------------------------------------------------------------------


def _facts(rows, label_width=40 * mm):
    """A ruled two-column table of labels and values (values wrap)."""
    columns = [Column(label_width), Column(CONTENT_WIDTH - label_width)]
    st = styles()
    data = [[cell(label, columns[0], st.head), cell(value, columns[1], st.cell)] for label, value in rows]
    table = Table(data, colWidths=[c.width for c in columns])
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (0, -1), FONT_BOLD),
                ("FONTNAME", (1, 0), (1, -1), FONT),
                ("FONTSIZE", (0, 0), (-1, -1), st.cell.fontSize),
                ("LEADING", (0, 0), (-1, -1), st.cell.leading),
                ("GRID", (0, 0), (-1, -1), 0.4, GRID),
                ("BACKGROUND", (0, 0), (0, -1), HEAD_BG),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), PAD),
                ("RIGHTPADDING", (0, 0), (-1, -1), PAD),
                ("TOPPADDING", (0, 0), (-1, -1), 2),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
            ]
        )
    )
    return table


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
    return _facts(rows)


# --- signatures ---------------------------------------------------------------------------------------------

BLOCK_GAP = 4 * mm
BLOCK_LABEL = 24 * mm


def _signature_pair(pair):
    """Two signature blocks side by side (or one): a boxed title, then name, position, organisation, time, method and
    the hash of the content signed (in two halves of 32 hex digits)."""
    st = styles()
    value_width = (CONTENT_WIDTH - BLOCK_GAP) / 2 - BLOCK_LABEL
    label_col, value_col, title_col = Column(BLOCK_LABEL), Column(value_width), Column(BLOCK_LABEL + value_width)
    labels = [_("Full name"), _("Position"), _("Organisation"), _("Time"), _("Method"), _("Hash signed (SHA-256)")]

    def fields(block):
        digest = block.content_hash
        return [
            block.name or "—",
            block.position or "—",
            block.organisation or "—",
            format_datetime(block.at),
            block.method or "—",
            f"{digest[:32]}\n{digest[32:]}" if digest else "—",
        ]

    columns = [fields(block) for block in pair]
    data = [[cell(pair[0].step, title_col, st.head), "", "", cell(pair[1].step, title_col, st.head) if len(pair) > 1 else "", ""]]
    for index, label in enumerate(labels):
        row = [cell(label, label_col, st.cell), cell(columns[0][index], value_col, st.cell), ""]
        row += [cell(label, label_col, st.cell), cell(columns[1][index], value_col, st.cell)] if len(pair) > 1 else ["", ""]
        data.append(row)
    commands = [
        ("FONTNAME", (0, 0), (-1, -1), FONT),
        ("FONTSIZE", (0, 0), (-1, -1), st.cell.fontSize),
        ("LEADING", (0, 0), (-1, -1), st.cell.leading),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), PAD),
        ("RIGHTPADDING", (0, 0), (-1, -1), PAD),
        ("TOPPADDING", (0, 0), (-1, -1), 1.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
    ]
    for first in (0, 3)[: len(pair)]:
        commands += [
            ("SPAN", (first, 0), (first + 1, 0)),
            ("BACKGROUND", (first, 0), (first + 1, 0), HEAD_BG),
            ("FONTNAME", (first, 0), (first + 1, 0), FONT_BOLD),
            ("BOX", (first, 0), (first + 1, -1), 0.6, GRID),
            ("LINEBELOW", (first, 0), (first + 1, 0), 0.4, GRID),
            ("TEXTCOLOR", (first, 1), (first, -1), MUTED),
            ("FONTNAME", (first + 1, 1), (first + 1, 1), FONT_BOLD),  # the name
            ("FONTNAME", (first + 1, -1), (first + 1, -1), MONO),  # the hash
            ("FONTSIZE", (first + 1, -1), (first + 1, -1), 7.5),
        ]
    table = Table(data, colWidths=[BLOCK_LABEL, value_width, BLOCK_GAP, BLOCK_LABEL, value_width], spaceAfter=2 * mm)
    table.setStyle(TableStyle(commands))
    return table


def _signatures(number, blocks):
    """The numbered section of signature blocks, two by two; a pair never splits across pages, and the heading
    stays with the first pair."""
    heading = _section(number, _("Signatures (Vietnam time)"))
    if not blocks:
        return [heading, Paragraph(escape(_("Not signed yet.")), styles().small)]
    pairs = [_signature_pair(blocks[start : start + 2]) for start in range(0, len(blocks), 2)]
    return [KeepTogether([heading, pairs[0]]), *(KeepTogether([pair]) for pair in pairs[1:])]


# --- integrity ----------------------------------------------------------------------------------------------


def _hashes(manifest, signed):
    """The integrity block: labels and SHA-256 hashes, and one sentence on what they prove, kept on one page."""
    if signed:
        rows = [(_("Content hash (SHA-256) signed by the generator"), manifest.content_hash)]
        snapshot = _latest_snapshot(manifest)
        if snapshot is not None and snapshot.content_hash != manifest.content_hash:
            step = event_label(SNAPSHOT_EVENTS.get(snapshot.step, snapshot.step))
            label = _("Hash of the latest recorded content (version %(version)s, %(step)s)") % {"version": snapshot.version, "step": step}
            rows.append((label, snapshot.content_hash))
    else:
        rows = [(_("UNSIGNED DRAFT – content hash (SHA-256) of the current, unsigned content"), content_hash(manifest_content(manifest)))]
    label_width = CONTENT_WIDTH - 104 * mm
    data = [[wrap(label, FONT, 7.5, label_width - 2 * PAD), digest] for label, digest in rows]
    table = Table(data, colWidths=[label_width, CONTENT_WIDTH - label_width], hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (0, -1), FONT),
                ("FONTSIZE", (0, 0), (0, -1), 7.5),
                ("LEADING", (0, 0), (0, -1), 9.2),
                ("FONTNAME", (1, 0), (1, -1), MONO),
                ("FONTSIZE", (1, 0), (1, -1), 7.5),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (0, -1), 0),
                ("TOPPADDING", (0, 0), (-1, -1), 1),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
                ("LINEBELOW", (0, 0), (-1, -2), 0.4, GRID),
            ]
        )
    )
    proof = _(
        "The hash proves that the signed content has not been changed: anyone can recompute the SHA-256 of the "
        "manifest's canonical content held in the HWMS register and compare it with the value printed here; by itself "
        "it does not prove who signed, which the signature blocks record."
    )
    return [table, Spacer(0, 1.5 * mm), Paragraph(escape(proof), styles().small)]


def _integrity(number, manifest, signed):
    return KeepTogether([_section(number, _("Integrity")), *_hashes(manifest, signed)])


def _build(manifest, title, story):
    footer = f"{manifest.number} · " + _("version %(version)s") % {"version": manifest.version}
    return build_pdf(story, f"{title} {manifest.number}", footer_text=footer, subject=manifest.number)


# --- the copy of record -----------------------------------------------------------------------------------


def render_manifest_pdf(manifest, request=None):
    """The copy of record of `manifest` as PDF bytes (A4)."""
    lines = _load(manifest)
    signed = bool(manifest.content_hash) and manifest.generator_signed_at is not None
    # Drafts are never verifiable: no QR code on them.
    url = verify_url(manifest, request) if manifest.status != Status.DRAFT else None
    if not manifest.has_official_number:
        warning = _("DRAFT – not signed, without an official number; not valid for transport")
    elif not signed:
        warning = _("UNSIGNED DRAFT – not valid for transport")
    else:
        warning = ""
    story = [
        _form_reference(),
        _header(manifest, LEGAL_TITLE, _("Hazardous waste manifest – electronic copy of record"), url, warning),
        *_links(manifest, _follow_ups(manifest), request),
        _section(1, _("Parties")),
        _parties(manifest, _transport_permit(manifest)),
        _section(2, _("Waste")),
        _lines_table(manifest, lines),
        Spacer(0, 1 * mm),
        _hazard_legend(lines),
        _section(3, _("Transport and reception")),
        _transport(manifest),
        *_signatures(4, signature_blocks(manifest)),
        _integrity(5, manifest, signed),
    ]
    return _build(manifest, LEGAL_TITLE, story)


# --- the completion certificate ---------------------------------------------------------------------------


class NotCompleted(ValueError):
    """A completion certificate exists only for a completed manifest."""


def _difference(line):
    if line.received_quantity_kg is None:
        return "—"
    difference = line.received_quantity_kg - line.quantity_kg
    return ("+" if difference > 0 else "") + format_kg(difference)


def _quantities_table(manifest, lines):
    columns = scaled_columns([6, 16, 36, 16, 16, 16, 16, 34, 26], numeric={3, 4, 5, 6})
    header = [
        "#",
        _("Waste code"),
        _("Name and description"),
        _("Declared (kg)"),
        _("At pickup (kg)"),
        _("Received (kg)"),
        _("Difference (kg)"),
        _("Treatment method"),
        _("Discrepancy or rejection"),
    ]
    rows = []
    for line in lines:
        code = line.received_waste_code or line.waste_code
        if line.rejected:
            treatment = _("Not treated here (rejected)")
        else:
            treatment = _actual_treatment(manifest, line)
        rows.append(
            [
                line.position,
                f"{code.code}\n{code.class_marker}",
                f"{code.name}\n{line.description}",
                format_kg(line.quantity_kg),
                format_kg(line.pickup_quantity_kg),
                format_kg(line.received_quantity_kg),
                _difference(line),
                treatment,
                _line_remark(line),
            ]
        )
    received = [line.received_quantity_kg for line in lines if line.received_quantity_kg is not None]
    declared = sum(line.quantity_kg for line in lines)
    difference = format_kg(sum(received) - declared) if received else "—"
    footer = ["", "", _("Total"), _total(lines, "quantity_kg"), _total(lines, "pickup_quantity_kg"), _total(lines, "received_quantity_kg"), difference, "", ""]
    return grid(header, rows, columns, footer=footer, extra=[("SPAN", (0, -1), (1, -1))])


def _completion_blocks(manifest):
    """The facility's signatures: reception, and completion by the named person who completed the manifest. A return
    is completed when its generator receives the waste back: that reception is the completion."""
    blocks = [block for block in signature_blocks(manifest) if block.action in ("received", "completed")]
    if manifest.is_return:
        step = pgettext("signature step", "Received back by the generator; completed")
        blocks = [replace(block, step=step) for block in blocks]
    return blocks


def render_certificate_pdf(manifest, request=None):
    """The completion certificate ("copy 4") of a completed manifest as PDF bytes (A4)."""
    if manifest.status != Status.COMPLETED or manifest.completed_at is None:
        raise NotCompleted(manifest.number)
    st = styles()
    lines = _load(manifest)
    url = verify_url(manifest, request)
    completer = _person(manifest.completed_by) or "—"
    if manifest.is_return:
        statement = _(
            "The hazardous waste of manifest %(number)s, rejected at treatment, returned to its generator %(generator)s "
            "(tax code %(tax_code)s): collected on %(picked_up)s by %(transporter)s and received back on %(received)s. "
            "The manifest was completed on %(completed)s by %(completer)s."
        )
    else:
        statement = _(
            "The hazardous waste of manifest %(number)s, handed over by %(generator)s (tax code %(tax_code)s) on "
            "%(picked_up)s and transported by %(transporter)s, was received by %(facility)s on %(received)s and "
            "treated as listed below. The manifest was completed on %(completed)s by %(completer)s."
        )
    statement %= {
        "number": manifest.number,
        "generator": manifest.generator.name,
        "tax_code": manifest.generator.tax_code,
        "picked_up": format_datetime(manifest.picked_up_at),
        "transporter": manifest.transporter.name,
        "facility": manifest.facility.name,
        "received": format_datetime(manifest.received_at),
        "completed": format_datetime(manifest.completed_at),
        "completer": completer,
    }
    subtitle = _("Completion certificate (copy 4) of hazardous waste manifest %(number)s") % {"number": manifest.number}
    story = [
        _form_reference(),
        _header(manifest, CERTIFICATE_TITLE, subtitle, url),
        *_links(manifest, _follow_ups(manifest), request),
        Spacer(0, 1 * mm),
        Paragraph(escape(statement), st.base),
        _section(1, _("Parties")),
        _parties(manifest, _transport_permit(manifest)),
        _section(2, _("Declared and received quantities, treatment per line")),
        _quantities_table(manifest, lines),
        *_signatures(3, _completion_blocks(manifest)),
        _integrity(4, manifest, True),
    ]
    return _build(manifest, CERTIFICATE_TITLE, story)
