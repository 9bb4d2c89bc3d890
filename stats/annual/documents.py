"""The PDF and the XLSX of a submitted annual report, printed from its frozen content (never from the manifests).

PDF on common.documents (Vietnamese font, ruled grids, "Trang x/y"); XLSX through common.spreadsheets' cell
rules (numbers as numbers, text never a formula): a sheet "general information" and one sheet per table.
"""

import io

import openpyxl
from django.utils.translation import gettext as _
from openpyxl.styles import Font
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, Spacer

from common.documents import MONO, WARN, build_pdf, escape, format_date, format_datetime, grid, scaled_columns, styles
from common.spreadsheets import XLSXExport, sheet_title

from .periods import deadline
from .tables import displayed, report_tables

# The legal names of the forms (Vietnamese law), printed as they are in every language.
LEGAL_TITLE = "BÁO CÁO CÔNG TÁC BẢO VỆ MÔI TRƯỜNG – PHẦN CHẤT THẢI NGUY HẠI"
PDF_CHUNK_ROWS = 100
LEGAL_BASIS = "Mẫu số %(form)s Phụ lục VI ban hành kèm theo Thông tư số 02/2022/TT-BTNMT"


def facts(report):
    """(label, text) pairs identifying the report and its submission."""
    content = report.content
    site = content["site"]
    rows = [
        (_("Organisation"), content["organisation"]["name"]),
        (_("Tax code"), content["organisation"]["tax_code"]),
        (_("Site"), site["name"]),
        (_("Address"), site["address"]),
        (_("Province"), site["province"]["name"]),
    ]
    if site.get("legacy_code"):
        rows.append((_("Former hazardous waste management code"), site["legacy_code"]))
    rows += [
        (_("Reporting period"), _("1 January – 31 December %(year)s") % {"year": content["year"]}),
        (_("Form"), report.get_form_display()),
        (_("Report type"), report.get_kind_display()),
        (_("Version"), str(report.version)),
        (_("Submitted by"), str(report.submitted_by)),
        (_("Submitted at"), format_datetime(report.submitted_at)),
        (_("Deadline"), format_date(deadline(report.year))),
        (_("Late"), _("Yes – submitted after the deadline") if report.is_late else _("No")),
        (_("Content hash (SHA-256)"), report.content_hash),
    ]
    if content.get("note"):
        rows.append((_("Note"), content["note"]))
    return rows


def report_pdf(report):
    st = styles()
    story = [
        Paragraph(escape(LEGAL_TITLE), st.title),
        Paragraph(escape(LEGAL_BASIS % {"form": report.form}), st.small),
        Paragraph(escape(_("Annual report %(year)s, version %(version)s") % {"year": report.year, "version": report.version}), st.section),
    ]
    if report.is_late:
        story.append(Paragraph(f'<font color="{WARN.hexval()}"><b>{escape(_("Submitted after the deadline."))}</b></font>', st.base))
    story.append(grid([_("Item"), _("Content")], facts(report), scaled_columns([50, 130])))
    for table in report_tables(report.content):
        story += [Spacer(0, 3 * mm), Paragraph(escape(table.title), st.section)]
        if table.note:
            story.append(Paragraph(escape(table.note), st.small))
        if not table.rows:
            story.append(Paragraph(escape(_("None.")), st.base))
            continue
        columns = scaled_columns(table.widths, numeric=table.numeric)
        rows, footer = displayed(table)
        # A large facility's intake runs to thousands of rows: reportlab splits a long table across pages in time
        # that grows with its length at every page, so it gets one table per chunk of rows, each with the header.
        for start in range(0, len(rows), PDF_CHUNK_ROWS):
            last = start + PDF_CHUNK_ROWS >= len(rows)
            story.append(grid(table.headers, rows[start : start + PDF_CHUNK_ROWS], columns, footer=footer if last else None))
    statement = _(
        "Submitted electronically on HWMS by %(person)s, who confirmed it with their password, on %(time)s (Vietnam time)."
    ) % {"person": report.submitted_by, "time": format_datetime(report.submitted_at)}
    story += [
        Spacer(0, 4 * mm),
        Paragraph(escape(statement), st.base),
        Paragraph(f'<font face="{MONO}">SHA-256 {escape(report.content_hash)}</font>', st.small),
    ]
    footer = _("Annual report %(year)s – %(site)s – v%(version)s") % {"year": report.year, "site": report.content["site"]["name"], "version": report.version}
    return build_pdf(story, f"{LEGAL_TITLE} {report.year}", footer_text=footer, subject=str(report.year))


def _row(sheet, values, bold=False):
    cells = []
    for value in values:
        cell = XLSXExport._cell(sheet, value, "#,##0.00")
        if bold:
            cell.font = Font(bold=True)
        cells.append(cell)
    sheet.append(cells)


def report_xlsx(report):
    book = openpyxl.Workbook(write_only=True)
    info = book.create_sheet(sheet_title(_("General information")))
    info.column_dimensions["A"].width, info.column_dimensions["B"].width = 36, 80
    _row(info, [LEGAL_TITLE], bold=True)
    _row(info, [LEGAL_BASIS % {"form": report.form}])
    for label, text in facts(report):
        _row(info, [label, text])
    for table in report_tables(report.content):
        sheet = book.create_sheet(sheet_title(table.title))
        sheet.freeze_panes = "A2"
        _row(sheet, table.headers, bold=True)
        for row in table.rows:
            _row(sheet, row)
        if table.footer and table.rows:
            _row(sheet, table.footer, bold=True)
    stream = io.BytesIO()
    book.save(stream)
    return stream.getvalue()

