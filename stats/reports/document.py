"""The layout of a statistics report PDF (common.documents: Be Vietnam Pro, ruled grids, "Trang x/y"): a cover,
the summary, then one section per breakdown with its chart, the flow matrix, the largest generators and the
facilities' capacity. Every figure comes from stats.reports.data (the dashboards' selectors); numbers print as
the dashboards print them (stats_format.cell)."""

from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import CondPageBreak, KeepTogether, PageBreak, Paragraph, Spacer

from common.documents import CONTENT_WIDTH, MUTED, build_pdf, escape, format_date, grid, scaled_columns, styles
from stats.templatetags.stats_format import cell as format_cell

from . import charts
from .data import short_name

CHUNK_ROWS = 100  # reportlab splits one long table in time growing with its length: one grid per chunk
MATRIX_COLUMNS = 6  # facility provinces per block of the flow matrix (A4 portrait)
SUMMED = {"kg", "count"}


def report_title():
    # Translators: the title of the annual statistics report PDF; Vietnamese "Báo cáo thống kê chất thải nguy hại".
    return _("Hazardous waste statistics report")


def document_title(data):
    return _("%(title)s %(year)s – %(place)s") % {"title": report_title(), "year": data.year, "place": data.place}


def _cover_styles():
    st = styles()
    return {
        "overline": ParagraphStyle("cover_overline", parent=st.base, fontSize=10, leading=14, alignment=TA_CENTER, textColor=MUTED),
        "title": ParagraphStyle("cover_title", parent=st.title, fontSize=22, leading=28, alignment=TA_CENTER),
        "place": ParagraphStyle("cover_place", parent=st.title, fontSize=17, leading=22, alignment=TA_CENTER),
        "text": ParagraphStyle("cover_text", parent=st.base, fontSize=9.5, leading=13, alignment=TA_CENTER),
    }


def cover(data):
    cs = _cover_styles()
    if data.national:
        scope = _("The whole country: the 34 provinces and centrally run cities")
    else:
        scope = _("Waste declared by generators in the province; flows into and out of it")
    source = _(
        "Figures of the HWMS statistics as on %(date)s: manifests handed over by their generators in %(year)s and not "
        "cancelled, attributed to the generator site's province (records of the former provinces count in today's)."
    ) % {"date": format_date(timezone.now()), "year": data.year}
    return [
        Spacer(0, 45 * mm),
        Paragraph(escape(_("Hazardous Waste Management System (HWMS)")), cs["overline"]),
        Spacer(0, 12 * mm),
        Paragraph(escape(report_title()).upper(), cs["title"]),
        Paragraph(escape(_("Year %(year)s") % {"year": data.year}), cs["place"]),
        Spacer(0, 8 * mm),
        Paragraph(escape(data.place), cs["place"]),
        Spacer(0, 4 * mm),
        Paragraph(escape(scope), cs["text"]),
        Spacer(0, 60 * mm),
        Paragraph(escape(source), cs["text"]),
        PageBreak(),
    ]


def _section(text):
    return Paragraph(escape(text), styles().section)


def _note(text):
    return Paragraph(escape(text), styles().small)


def summary(data):
    t = data.totals
    share = format_cell(t["treated_share"], "percent") or "—"
    rows = [
        (_("Declared (kg)"), format_cell(t["declared_kg"], "kg")),
        (_("Transported (kg)"), format_cell(t["transported_kg"], "kg")),
        (_("Received (kg)"), format_cell(t["received_kg"], "kg")),
        (_("Treated (kg)"), format_cell(t["treated_kg"], "kg")),
        (_("Share of the declared waste that reached treatment"), share),
        (_("Manifests"), format_cell(t["manifests"], "count")),
        (_("Completed manifests"), format_cell(t["completed"], "count")),
        (_("Manifests with a discrepancy"), format_cell(t["with_discrepancy"], "count")),
        (_("Manifests with rejected waste"), format_cell(t["with_rejection"], "count")),
        (_("Shipments refused whole"), format_cell(t["refused"], "count")),
        (_("Returns and redirects of rejected waste"), format_cell(t["follow_ups"], "count")),
    ]
    facilities = data.tables["facilities"]
    over = [row for row in facilities.rows if row[-1] is not None and row[-1] > 100]
    rows.append((_("Facilities over their licensed capacity"), format_cell(len(over), "count")))
    return [
        _section(_("1. Summary")),
        grid([_("Figure"), _("%(place)s, %(year)s") % {"place": data.place, "year": data.year}], rows, scaled_columns([110, 60], numeric={1})),
    ]


def _widths(table):
    """Column widths (mm, scaled to the page): the text columns wide, the numbers even."""
    return [60 if kind in ("text", "date") and index == 0 else 34 if kind in ("text", "date") else 28 for index, (_n, _l, kind) in enumerate(table.columns)]


def _footer(table):
    """A total row for tables whose rows add up (quantities by province, chapter, code, method, month)."""
    footer = [_("Total")]
    for index, (_name, _label, kind) in enumerate(table.columns[1:], start=1):
        footer.append(format_cell(sum((row[index] or Decimal(0) for row in table.rows), Decimal(0)), kind) if kind in SUMMED else "")
    return footer


def table_flowables(table, total=False, empty=None):
    """A dashboard table (stats.selectors.Table) as ruled grids of at most CHUNK_ROWS rows, the header on each."""
    if not table.rows:
        return [Paragraph(escape(empty or _("No figures for this selection.")), styles().base)]
    kinds = [kind for _name, _label, kind in table.columns]
    columns = scaled_columns(_widths(table), numeric={i for i, kind in enumerate(kinds) if kind not in ("text", "date")})
    header = [str(label) for _name, label, _kind in table.columns]
    rows = [[format_cell(value, kind) for value, kind in zip(row, kinds, strict=True)] for row in table.rows]
    footer = _footer(table) if total else None
    flowables = []
    for start in range(0, len(rows), CHUNK_ROWS):
        last = start + CHUNK_ROWS >= len(rows)
        flowables.append(grid(header, rows[start : start + CHUNK_ROWS], columns, footer=footer if last else None))
    return flowables


def _chart(drawing, caption):
    if drawing is None:
        return []
    return [KeepTogether([Paragraph(escape(caption), styles().small), drawing]), Spacer(0, 2 * mm)]


def breakdowns(data):
    t = data.tables
    story = []
    if data.national:
        story += [CondPageBreak(90 * mm), _section(_("2. By province"))]
        story += _chart(charts.by_province(t["by_province"]), _("Declared quantity by province"))
        story += table_flowables(t["by_province"], total=True)
    else:
        story += [CondPageBreak(90 * mm), _section(_("2. By chapter of the waste list"))]
        story += _chart(charts.by_chapter(t["by_chapter"]), _("Declared quantity by chapter"))
    if data.national:
        story += [_section(_("3. By chapter of the waste list"))]
    else:
        story += [_section(_("3. Quantities by chapter"))]
    story += table_flowables(t["by_chapter"], total=True)
    story += [CondPageBreak(40 * mm), _section(_("4. By waste code"))]
    story += table_flowables(t["by_code"], total=True)
    story += [CondPageBreak(90 * mm), _section(_("5. By treatment method"))]
    story.append(_note(_("The actual treatment method recorded by the facility; waste not treated yet is counted apart.")))
    story += _chart(charts.by_method(t["by_method"]), _("Treated quantity by treatment method"))
    story += table_flowables(t["by_method"], total=True)
    story += [CondPageBreak(90 * mm), _section(_("6. Monthly trend"))]
    story += _chart(charts.monthly_trend(t["by_month"]), _("Declared and treated quantity per month"))
    story += table_flowables(t["by_month"], total=True)
    return story


def matrix_flowables(matrix):
    """The flow matrix in blocks of MATRIX_COLUMNS facility provinces: generator provinces down, facility provinces
    across, transported kg in the cells, totals on the right (last block) and at the bottom."""
    if not matrix.origins:
        return [Paragraph(escape(_("No waste left a generator for a facility this year.")), styles().base)]
    destinations = matrix.destinations
    blocks = [destinations[i : i + MATRIX_COLUMNS] for i in range(0, len(destinations), MATRIX_COLUMNS)]
    flowables = []
    for number, block in enumerate(blocks, start=1):
        last = number == len(blocks)
        header = [_("From (generator) / to (facility)")] + [short_name(name) for name in block]
        rows = [[short_name(origin)] + [format_cell(matrix.cell(origin, d), "kg") if matrix.cell(origin, d) is not None else "" for d in block] for origin in matrix.origins]
        footer = [_("Total received")] + [format_cell(matrix.column_total(d), "kg") for d in block]
        if last:
            header.append(_("Total sent"))
            for row, origin in zip(rows, matrix.origins, strict=True):
                row.append(format_cell(matrix.row_total(origin), "kg"))
            footer.append(format_cell(matrix.total, "kg"))
        widths = [40] + [24] * (len(header) - 1)
        columns = scaled_columns(widths, numeric=set(range(1, len(header))), total=min(sum(widths) * mm, CONTENT_WIDTH))
        if len(blocks) > 1:
            flowables.append(_note(_("Part %(part)s of %(parts)s") % {"part": number, "parts": len(blocks)}))
        flowables += [grid(header, rows, columns, footer=footer), Spacer(0, 3 * mm)]
    return flowables


def _flow_list(heading, pairs):
    """(province, kg) pairs as a two-column grid with its total: a province's row or column of the matrix."""
    columns = scaled_columns([90, 40], numeric={1}, total=130 * mm)
    rows = [[name, format_cell(kg, "kg")] for name, kg in pairs]
    return grid([heading, _("Transported (kg)")], rows, columns, footer=[_("Total"), format_cell(sum((kg for _n, kg in pairs), Decimal(0)), "kg")])


def province_flows(matrix, province):
    """A province's report: what left it, by the facility's province, and what came in, by the generator's (its
    row and its column of the national matrix; what stays in the province is in both)."""
    out = [(d, matrix.cell(province, d)) for d in matrix.destinations if matrix.cell(province, d) is not None]
    into = [(o, matrix.cell(o, province)) for o in matrix.origins if matrix.cell(o, province) is not None]
    if not out and not into:
        return [Paragraph(escape(_("No waste left a generator for a facility this year.")), styles().base)]
    return [
        _note(_("Waste of the province's generators, by the province of the facility")),
        _flow_list(_("Facility province"), out),
        Spacer(0, 3 * mm),
        _note(_("Waste received by the province's facilities, by the province of the generator")),
        _flow_list(_("Generator province"), into),
    ]


def flows(data):
    story = [CondPageBreak(60 * mm), _section(_("7. Flows between provinces, from the generator's province to the facility's"))]
    if not data.national:
        return story + province_flows(data.matrix, data.province.name)
    return story + [
        _note(_("Transported quantity (kg) by the province of the generator site (rows) and of the treatment facility (columns).")),
        *matrix_flowables(data.matrix),
    ]


def others(data):
    t = data.tables
    return [
        CondPageBreak(60 * mm),
        _section(_("8. Largest generators")),
        *table_flowables(t["top_generators"]),
        CondPageBreak(60 * mm),
        _section(_("9. Facilities and their licensed capacity")),
        _note(_("Received in the year of receipt under each treatment permit, against its licensed yearly capacity.")),
        *table_flowables(t["facilities"], empty=_("No facility received waste this year.")),
    ]


def report_pdf(data):
    """The report of a stats.reports.data.ReportData as PDF bytes."""
    story = cover(data) + summary(data) + breakdowns(data) + flows(data) + others(data)
    footer = _("Statistics report %(year)s – %(place)s") % {"year": data.year, "place": short_name(data.place)}
    return build_pdf(story, document_title(data), footer_text=footer, subject=str(data.year))
