"""The blocks the PDF documents of a manifest share (reportlab): what they read, the title block with the QR
code, the parties, the line helpers, the ruled facts, the signature blocks and the integrity block.

manifests.pdf composes the copy of record from them, manifests.pdf_certificate the completion certificate. Texts
follow the active language; the legal titles stay in Vietnamese in every language. Fonts, grids, the QR code and
the numbered A4 pages ("Trang x/y") come from common.documents.
"""



from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
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
    grid,
    scaled_columns,
    styles,
    wrap,
)

from .content import content_hash, manifest_content
from .models import FollowUp, ManifestSnapshot, Status
from .selectors import manifest_lines
from .verification import event_label

# The legal names of the documents (Vietnamese law); printed as is whatever the reader's language.
LEGAL_TITLE = "CHỨNG TỪ CHẤT THẢI NGUY HẠI"
CERTIFICATE_TITLE = "GIẤY XÁC NHẬN HOÀN THÀNH XỬ LÝ CTNH"

SNAPSHOT_EVENTS = {"generator_signed": "signed", "revision": "revision.applied"}


def person(user):
    return str(user) if user is not None else ""


def address(site):
    parts = [site.address, site.ward.name if site.ward_id else "", site.province.name if site.province_id else ""]
    return ", ".join(part for part in parts if part)


def portal_url(path, request):
    site_url = (getattr(settings, "SITE_URL", "") or "").rstrip("/")
    if site_url:
        return f"{site_url}{path}"
    return request.build_absolute_uri(path) if request is not None else path


# --- what the documents read ------------------------------------------------------------------------------


def load(manifest):
    """Lines with their codes, methods and hazard properties in two queries (content_hash reuses them)."""
    return manifest_lines(manifest)


def latest_snapshot(manifest):
    return ManifestSnapshot.objects.filter(manifest=manifest).only("version", "step", "content_hash").order_by("-id").first()


def transport_permit(manifest):
    """The transporter's permit covering hazardous waste transport (the one listing the vehicle when there is one),
    in force on the pickup day or today; None for the generator's own transport or when none is in force."""
    if manifest.transporter_id == manifest.generator_id:
        return None
    day = timezone.localtime(manifest.picked_up_at).date() if manifest.picked_up_at else None
    permits = Permit.transport_permits(manifest.transporter_id, day)
    if manifest.vehicle_id:
        permits = permits.filter(vehicles=manifest.vehicle_id)
    return permits.only("number", "issuer", "valid_from", "valid_until").first()


def follow_ups(manifest):
    if not (manifest.has_rejection and manifest.pk):
        return []
    return list(manifest.follow_ups.only("pk", "number", "origin_kind").order_by("pk"))


# --- the title block --------------------------------------------------------------------------------------


def form_reference():
    """The form's reference, top right as on the paper forms."""
    style = ParagraphStyle("form", parent=styles().small, alignment=TA_RIGHT, textColor=MUTED)
    return Paragraph(escape(settings.HWMS_MANIFEST_FORM), style)


def header(manifest, title, subtitle, url, warning=""):
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


def section(number, title):
    return Paragraph(f"{number}. {escape(title)}", styles().section)


# --- the parties --------------------------------------------------------------------------------------------


def phone(organisation):
    return _("Phone: %(phone)s") % {"phone": organisation.phone or "—"}


def parties(manifest, transport_permit):
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
            address(generator_site),
            phone(generator),
        ),
        details(
            tax % {"code": transporter.tax_code},
            transporter.address,
            transport,
            _("Vehicle: %(plate)s") % {"plate": manifest.vehicle.plate} if manifest.vehicle_id else _("Vehicle: not yet assigned"),
            _("Driver: %(name)s") % {"name": person(manifest.driver)} if manifest.driver_id else "",
            phone(transporter),
        ),
        details(
            tax % {"code": facility.tax_code},
            site % {"site": facility_site.name},
            address(facility_site),
            facility_permit,
            phone(facility),
        ),
    ]
    receiver = _("Receiving party (return to the generator)") if permit is None else _("Treatment facility")
    header = [_("Waste generator"), _("Transporter"), receiver]
    names = [generator.name, transporter.name, facility.name]
    return grid(header, [names, cells], scaled_columns([1, 1, 1]), extra=[("FONTNAME", (0, 1), (-1, 1), FONT_BOLD)])


def links(manifest, follow_ups, request):
    """The origin of a return or redirect, and the follow-ups of a rejected load, as links to the portal."""
    st = styles()
    paragraphs = []

    def link(other):
        url = portal_url(reverse("manifests:detail", args=[other.pk]), request)
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


def method(method, note):
    if method is None:
        return ""
    if method.is_other:
        return f"{method.name}: {note}" if note else method.name
    return f"{method.code} – {method.name}"


def hazards(code):
    """The class marker and the hazard property codes of a waste code ("NH · C, Đ")."""
    properties = ", ".join(hazard.code for hazard in code.hazard_properties.all())
    return f"{code.class_marker} · {properties}" if properties else code.class_marker


def line_remark(line):
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


def actual_treatment(manifest, line):
    if line.treatment_method_id is not None:
        return f"{method(line.treatment_method, line.treatment_note)}, {format_date(line.treated_on)}"
    if manifest.is_return and manifest.status == Status.COMPLETED:
        return _("Returned to the generator")
    return "—"


def total(lines, field):
    values = [getattr(line, field) for line in lines if getattr(line, field) is not None]
    return format_kg(sum(values)) if values else "—"


# --- transport and reception ------------------------------------------------------------------------------


def facts(rows, label_width=40 * mm):
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


# --- signatures ---------------------------------------------------------------------------------------------

BLOCK_GAP = 4 * mm
BLOCK_LABEL = 24 * mm


def signature_pair(pair):
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


def signatures(number, blocks):
    """The numbered section of signature blocks, two by two; a pair never splits across pages, and the heading
    stays with the first pair."""
    heading = section(number, _("Signatures (Vietnam time)"))
    if not blocks:
        return [heading, Paragraph(escape(_("Not signed yet.")), styles().small)]
    pairs = [signature_pair(blocks[start : start + 2]) for start in range(0, len(blocks), 2)]
    return [KeepTogether([heading, pairs[0]]), *(KeepTogether([pair]) for pair in pairs[1:])]


# --- integrity ----------------------------------------------------------------------------------------------


def integrity_facts(manifest, signed):
    """What the integrity block prints besides the manifest: the latest snapshot of a signed manifest, or the hash of
    an unsigned one's current content (one query, or none)."""
    if signed:
        return latest_snapshot(manifest), None
    return None, content_hash(manifest_content(manifest))


def hashes(manifest, signed, snapshot, unsigned_hash):
    """The integrity block: labels and SHA-256 hashes, and one sentence on what they prove, kept on one page."""
    if signed:
        rows = [(_("Content hash (SHA-256) signed by the generator"), manifest.content_hash)]
        if snapshot is not None and snapshot.content_hash != manifest.content_hash:
            step = event_label(SNAPSHOT_EVENTS.get(snapshot.step, snapshot.step))
            label = _("Hash of the latest recorded content (version %(version)s, %(step)s)") % {"version": snapshot.version, "step": step}
            rows.append((label, snapshot.content_hash))
    else:
        rows = [(_("UNSIGNED DRAFT – content hash (SHA-256) of the current, unsigned content"), unsigned_hash)]
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


def integrity(number, manifest, signed, snapshot, unsigned_hash):
    return KeepTogether([section(number, _("Integrity")), *hashes(manifest, signed, snapshot, unsigned_hash)])


def build(manifest, title, story):
    footer = f"{manifest.number} · " + _("version %(version)s") % {"version": manifest.version}
    return build_pdf(story, f"{title} {manifest.number}", footer_text=footer, subject=manifest.number)
