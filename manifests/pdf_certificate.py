"""The completion certificate ("copy 4", Giấy xác nhận hoàn thành xử lý CTNH) of a completed manifest: declared,
at pickup, received and the difference per line with discrepancies and methods, the facility's signatures and the
named person who completed it (blocks from manifests.pdf_blocks)."""


from dataclasses import replace

from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, Spacer

from common.documents import (
    escape,
    format_datetime,
    format_kg,
    grid,
    scaled_columns,
    styles,
)

from . import pdf_blocks as blocks
from .models import Status
from .signatures import signature_blocks
from .verification import verify_url

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
            treatment = blocks.actual_treatment(manifest, line)
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
                blocks.line_remark(line),
            ]
        )
    received = [line.received_quantity_kg for line in lines if line.received_quantity_kg is not None]
    declared = sum(line.quantity_kg for line in lines)
    difference = format_kg(sum(received) - declared) if received else "—"
    footer = ["", "", _("Total"), blocks.total(lines, "quantity_kg"), blocks.total(lines, "pickup_quantity_kg"), blocks.total(lines, "received_quantity_kg"), difference, "", ""]
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
    lines = blocks.load(manifest)
    url = verify_url(manifest, request)
    completer = blocks.person(manifest.completed_by) or "—"
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
        blocks.form_reference(),
        blocks.header(manifest, blocks.CERTIFICATE_TITLE, subtitle, url),
        *blocks.links(manifest, blocks.follow_ups(manifest), request),
        Spacer(0, 1 * mm),
        Paragraph(escape(statement), st.base),
        blocks.section(1, _("Parties")),
        blocks.parties(manifest, blocks.transport_permit(manifest)),
        blocks.section(2, _("Declared and received quantities, treatment per line")),
        _quantities_table(manifest, lines),
        *blocks.signatures(3, _completion_blocks(manifest)),
        blocks.integrity(4, manifest, True, *blocks.integrity_facts(manifest, True)),
    ]
    return blocks.build(manifest, blocks.CERTIFICATE_TITLE, story)
