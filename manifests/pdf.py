"""PDF documents of a manifest (reportlab): the copy of record and the completion certificate ("copy 4").

Both print the parties, the lines, the content hash and a QR code to the public verification page.
Texts follow the active language (the view activates the user's; Vietnamese by default); the legal
title of the form stays in Vietnamese in every language. reportlab's built-in fonts have no Vietnamese
glyphs, so Be Vietnam Pro (fontpkg-be-vietnam-pro, OFL-1.1) is registered once per process.
"""

import functools
import io
import threading
from xml.sax.saxutils import escape

import fontpkg
import segno
from django.db.models import Prefetch, prefetch_related_objects
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from reportlab import rl_config
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.fonts import addMapping
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import (
    Flowable,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from .content import content_hash, manifest_content
from .models import ManifestLine, ManifestSnapshot, Status
from .verification import event_label, verify_url

# The legal name of the form (Vietnamese law); printed as is whatever the reader's language.
LEGAL_TITLE = "CHỨNG TỪ CHẤT THẢI NGUY HẠI"

FONT = "BeVietnamPro"
FONT_BOLD = "BeVietnamPro-Bold"
FONT_FAMILY = "Be Vietnam Pro"
MONO = "Courier"

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN = 14 * mm
FRAME_PADDING = 6  # reportlab's default Frame padding, in points
CONTENT_WIDTH = PAGE_WIDTH - 2 * MARGIN - 2 * FRAME_PADDING

GRID = colors.HexColor("#9aa5b1")
HEAD_BG = colors.HexColor("#e8eef3")
WARN = colors.HexColor("#b42318")

# PDFs are served over HTTP as binary: skip the ASCII85 layer that reportlab adds on top of the
# compression by default (process-wide setting; ASCII85 makes streams 25% larger and costs time).
rl_config.useA85 = 0

_fonts_lock = threading.Lock()
_fonts_ready = False


def register_fonts():
    """Register Be Vietnam Pro regular and bold once; map bold so <b> works in paragraphs."""
    global _fonts_ready
    if _fonts_ready:
        return
    with _fonts_lock:
        if _fonts_ready:
            return
        pdfmetrics.registerFont(TTFont(FONT, str(fontpkg.path(FONT_FAMILY, 400))))
        pdfmetrics.registerFont(TTFont(FONT_BOLD, str(fontpkg.path(FONT_FAMILY, 700))))
        # No italic faces are registered: <i> falls back to the upright ones.
        addMapping(FONT, 0, 0, FONT)
        addMapping(FONT, 1, 0, FONT_BOLD)
        addMapping(FONT, 0, 1, FONT)
        addMapping(FONT, 1, 1, FONT_BOLD)
        _fonts_ready = True


class _Styles:
    def __init__(self):
        base = ParagraphStyle("base", fontName=FONT, fontSize=8.5, leading=11)
        self.base = base
        self.small = ParagraphStyle("small", parent=base, fontSize=7.5, leading=9.5)
        self.cell = ParagraphStyle("cell", parent=base, fontSize=7.5, leading=9.2)
        self.cell_num = ParagraphStyle("cell_num", parent=self.cell, alignment=TA_RIGHT)
        self.head = ParagraphStyle("head", parent=self.cell, fontName=FONT_BOLD, fontSize=7, leading=8.6)
        self.head_num = ParagraphStyle("head_num", parent=self.head, alignment=TA_RIGHT)
        self.section = ParagraphStyle("section", parent=base, fontName=FONT_BOLD, fontSize=10, leading=13, spaceBefore=7, spaceAfter=3)


_styles = None


def styles():
    global _styles
    register_fonts()
    if _styles is None:
        _styles = _Styles()
    return _styles


# --- small formatting helpers --------------------------------------------------------------------------


def _e(value):
    return escape("" if value is None else str(value))


def _date(value):
    return formats.date_format(value, "SHORT_DATE_FORMAT") if value else "—"


def _datetime(value):
    return formats.date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT") if value else "—"


def _kg(value):
    if value is None:
        return "—"
    return formats.number_format(value, decimal_pos=2, use_l10n=True, force_grouping=True)


def _person(user):
    return str(user) if user is not None else ""


def _address(site):
    parts = [site.address, site.ward.name if site.ward_id else "", site.province.name if site.province_id else ""]
    return ", ".join(part for part in parts if part)


@functools.lru_cache(maxsize=256)
def qr_matrix(data):
    """segno's matrix (rows of 0/1) for `data`, error correction M for worn paper.

    Encoding chooses the best of 8 masks in pure Python (≈8 ms); verification URLs are stable for an
    hour (manifests.verification), so a copy printed again reuses the matrix.
    """
    return tuple(bytes(row) for row in segno.make(data, error="m", micro=False).matrix)


class QRCode(Flowable):
    """A QR code drawn as vector rectangles (one per run of dark modules) inside its quiet zone.

    The runs are written as PDF operators in module units under one scale transform: integer coordinates,
    no per-number float formatting (the QR code used to be half of the rendering time).
    """

    QUIET = 4

    CAPTION_SIZE = 7.5

    def __init__(self, data, size, caption=""):
        super().__init__()
        self.matrix = qr_matrix(data)
        self.size = size
        self.caption = caption

    def wrap(self, available_width, available_height):
        return self.size, self.size + (self.CAPTION_SIZE * 1.4 if self.caption else 0)

    def draw(self):
        count = len(self.matrix)
        module = self.size / (count + 2 * self.QUIET)
        ops = []
        for row_index, row in enumerate(self.matrix):
            y = count - 1 - row_index
            x = 0
            while x < count:
                if row[x]:
                    start = x
                    while x < count and row[x]:
                        x += 1
                    ops.append(f"{start} {y} {x - start} 1 re")
                else:
                    x += 1
        ops.append("f")
        canvas = self.canv
        canvas.saveState()
        if self.caption:
            canvas.setFont(FONT, self.CAPTION_SIZE)
            canvas.drawCentredString(self.size / 2, 1, self.caption)
            canvas.translate(0, self.CAPTION_SIZE * 1.4)
        canvas.translate(self.QUIET * module, self.QUIET * module)
        canvas.scale(module, module)
        canvas.setFillColor(colors.black)
        canvas.addLiteral("\n".join(ops))
        canvas.restoreState()


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


PAD = 3  # horizontal cell padding, points


class Column:
    def __init__(self, width, numeric=False):
        self.width = width
        self.numeric = numeric


def _cell(text, column, style):
    """Plain text wrapped to the column when possible (tables lay plain strings out far faster than
    Paragraphs); a Paragraph only when a single word is wider than the column. Plain strings are not
    markup: only the Paragraph gets escaped text."""
    text = "" if text is None else str(text)
    room = column.width - 2 * PAD
    lines = simpleSplit(text, style.fontName, style.fontSize, room)
    if all(pdfmetrics.stringWidth(line, style.fontName, style.fontSize) <= room for line in lines):
        return "\n".join(lines)
    return Paragraph("<br/>".join(_e(part) for part in text.split("\n")), style)


def _grid(header, rows, columns, footer=None, extra=()):
    """A ruled table: `header` and `rows` are lists of texts (or ready flowables), one per column."""
    st = styles()
    data = [[_cell(text, col, st.head_num if col.numeric else st.head) for text, col in zip(header, columns, strict=True)]]
    for row in rows:
        data.append(
            [
                text if isinstance(text, Flowable) else _cell(text, col, st.cell_num if col.numeric else st.cell)
                for text, col in zip(row, columns, strict=True)
            ]
        )
    commands = [
        ("FONTNAME", (0, 0), (-1, -1), FONT),
        ("FONTSIZE", (0, 0), (-1, -1), st.cell.fontSize),
        ("LEADING", (0, 0), (-1, -1), st.cell.leading),
        ("FONTNAME", (0, 0), (-1, 0), FONT_BOLD),
        ("FONTSIZE", (0, 0), (-1, 0), st.head.fontSize),
        ("LEADING", (0, 0), (-1, 0), st.head.leading),
        ("GRID", (0, 0), (-1, -1), 0.4, GRID),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("BACKGROUND", (0, 0), (-1, 0), HEAD_BG),
        ("LEFTPADDING", (0, 0), (-1, -1), PAD),
        ("RIGHTPADDING", (0, 0), (-1, -1), PAD),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
    ]
    commands += [("ALIGN", (i, 0), (i, -1), "RIGHT") for i, col in enumerate(columns) if col.numeric]
    if footer is not None:
        data.append([_cell(text, col, st.head_num if col.numeric else st.head) for text, col in zip(footer, columns, strict=True)])
        commands.append(("FONTNAME", (0, -1), (-1, -1), FONT_BOLD))
    table = Table(data, colWidths=[col.width for col in columns], repeatRows=1)
    table.setStyle(TableStyle(commands + list(extra)))
    return table


def _columns(widths_mm, numeric=()):
    """Columns from relative widths scaled to the content width."""
    scale = CONTENT_WIDTH / sum(widths_mm)
    return [Column(w * scale, i in numeric) for i, w in enumerate(widths_mm)]


def _wrap(text, font, size, width):
    return "\n".join(simpleSplit(str(text), font, size, width))


def _header(manifest, subtitle, url, signed):
    """One table: the title rows and the key facts on the left, the QR code spanning them on the right."""
    label_width, qr_width = 34 * mm, 40 * mm
    text_width = CONTENT_WIDTH - qr_width
    if url:
        qr = QRCode(url, 36 * mm, caption=_("Scan to verify"))
    else:
        qr = _wrap(_("A draft has no verification code yet."), FONT, 7.5, qr_width)
    rows = [[LEGAL_TITLE, "", qr], [_wrap(subtitle, FONT_BOLD, 10.5, text_width), "", ""]]
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
        rows.append([_wrap(_("UNSIGNED DRAFT – not valid for transport"), FONT_BOLD, 11, text_width), "", ""])
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
        (_("Date of issue"), _date(timezone.localtime(manifest.created_at).date())),
        (_("Planned pickup date"), _date(manifest.planned_pickup_date)),
    ]
    rows += [[_wrap(label, FONT_BOLD, 7.5, label_width - 2), _wrap(value, FONT, 7.5, text_width - label_width), ""] for label, value in facts]
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
            _("Valid from %(start)s to %(end)s") % {"start": _date(permit.valid_from), "end": _date(permit.valid_until)},
        ),
    ]
    header = [_("Waste generator"), _("Transporter"), _("Treatment facility")]
    return _grid(header, [names, cells], _columns([1, 1, 1]), extra=[("FONTNAME", (0, 1), (-1, 1), FONT_BOLD)])


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
    return f"{_method(line)}\n{_date(line.treated_on)}"


def _lines_table(lines):
    columns = _columns([7, 14, 35, 14, 17, 15, 15, 16, 21, 24], numeric={5, 6, 7})
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
            _kg(line.quantity_kg),
            _kg(line.pickup_quantity_kg),
            _kg(line.received_quantity_kg),
            _line_remark(line),
            _treatment(line),
        ]
        for line in lines
    ]

    def total(field):
        values = [getattr(line, field) for line in lines if getattr(line, field) is not None]
        return _kg(sum(values)) if values else "—"

    footer = ["", _("Total"), "", "", "", total("quantity_kg"), total("pickup_quantity_kg"), total("received_quantity_kg"), "", ""]
    return _grid(header, rows, columns, footer=footer, extra=[("SPAN", (1, -1), (4, -1))])


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


def _signatures(manifest):
    people = _people(manifest)
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
    rows = [[label, by or "—", _datetime(when), details] for label, by, when, details in steps]
    columns = [Column(48 * mm), Column(38 * mm), Column(26 * mm), Column(CONTENT_WIDTH - 112 * mm)]
    return _grid([_("Step"), _("By"), _("Time"), _("Details")], rows, columns)


def _hashes(manifest, signed):
    """The integrity block: labels and SHA-256 hashes as one small table, kept on one page."""
    if signed:
        rows = [(_("Content hash (SHA-256) signed by the generator"), manifest.content_hash)]
        snapshot = _latest_snapshot(manifest)
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
        data += [[_wrap(label, FONT, 7.5, CONTENT_WIDTH)], [digest]]
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


def _footer(manifest):
    printed = _datetime(timezone.now())

    def draw(canvas, doc):
        canvas.saveState()
        canvas.setFont(FONT, 7)
        canvas.setFillColor(colors.HexColor("#52606d"))
        canvas.drawString(MARGIN + FRAME_PADDING, 9 * mm, f"{manifest.number} · " + _("version %(version)s") % {"version": manifest.version})
        canvas.drawCentredString(PAGE_WIDTH / 2, 9 * mm, _("Printed from HWMS on %(time)s") % {"time": printed})
        canvas.drawRightString(PAGE_WIDTH - MARGIN - FRAME_PADDING, 9 * mm, _("Page %(page)s") % {"page": doc.page})
        canvas.restoreState()

    return draw


def _build(manifest, title, story):
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=16 * mm,
        title=title,
        author="HWMS",
        subject=manifest.number,
        creator="HWMS",
    )
    footer = _footer(manifest)
    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()


def render_manifest_pdf(manifest, request=None):
    """The copy of record of `manifest` as PDF bytes (A4)."""
    st = styles()
    lines = _load(manifest)
    signed = bool(manifest.content_hash) and manifest.generator_signed_at is not None
    # Drafts are never verifiable: no QR code on them.
    url = verify_url(manifest, request) if manifest.status != Status.DRAFT else None
    story = [
        _header(manifest, _("Hazardous waste manifest – electronic copy of record"), url, signed),
        Spacer(0, 4 * mm),
        _parties(manifest),
        Paragraph(_e(_("Waste")), st.section),
        _lines_table(lines),
    ]
    if manifest.note:
        story += [Spacer(0, 2 * mm), Paragraph(f"<b>{_e(_('Note'))}</b>: {_e(manifest.note)}", st.small)]
    story += [
        Paragraph(_e(_("Signatures and times (Vietnam time)")), st.section),
        _signatures(manifest),
        _hashes(manifest, signed),
    ]
    return _build(manifest, f"{LEGAL_TITLE} {manifest.number}", story)


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
        "picked_up": _datetime(manifest.picked_up_at),
        "transporter": manifest.transporter.name,
        "facility": manifest.facility.name,
        "received": _datetime(manifest.received_at),
        "completed": _datetime(manifest.completed_at),
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
        rows.append([line.position, code.code, f"{code.name}\n{line.description}", _kg(line.received_quantity_kg), method, _date(line.treated_on)])
    header = ["#", _("Waste code"), _("Name and description"), _("Received (kg)"), _("Treatment method"), _("Treated on")]
    treatment_table = _grid(header, rows, _columns([7, 16, 67, 20, 44, 24], numeric={3}))
    permit = manifest.permit
    story = [
        _header(manifest, _("Certificate of treatment completion (copy 4)"), url, signed=True),
        Spacer(0, 4 * mm),
        Paragraph(_e(statement), st.base),
        Spacer(0, 2 * mm),
        Paragraph(
            _e(
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
        Paragraph(_e(_("Treatment per line")), st.section),
        treatment_table,
        _hashes(manifest, True),
    ]
    return _build(manifest, f"{LEGAL_TITLE} {manifest.number}", story)
