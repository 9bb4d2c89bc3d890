"""The charts of a statistics report, drawn with reportlab's graphics (vector, in the PDF's font): bars by
province or chapter, the monthly trend, bars by treatment method. Each is drawn from a dashboard table
(stats.selectors.Table); the same figures are printed in the table that follows it."""

from decimal import Decimal

from django.utils.translation import gettext as _
from reportlab.graphics.charts.barcharts import HorizontalBarChart, VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.charts.linecharts import HorizontalLineChart
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.units import mm

from common.documents import CONTENT_WIDTH, FONT, MUTED, register_fonts
from common.numbers import grouped

from .data import short_name

DECLARED = colors.HexColor("#2f6f9f")  # the dashboards' colour
TREATED = colors.HexColor("#0b6e4f")
LABEL_SIZE = 6.5
TONNE = Decimal(1000)
MAX_BARS = 34  # every province; longer tables (codes) are charted by their largest rows
MAX_METHODS = 12


def unit_for(values):
    """(divisor, unit) so that the axis reads in small numbers: tonnes from 100 t up, kg below."""
    largest = max(values, default=0)
    return (TONNE, _("tonnes")) if largest >= 100 * TONNE else (Decimal(1), "kg")


def _scaled(values, divisor):
    return [float(Decimal(value or 0) / divisor) for value in values]


def _axis_numbers(axis):
    axis.labels.fontName = FONT
    axis.labels.fontSize = LABEL_SIZE
    axis.labelTextFormat = lambda value: grouped(value, 0)
    axis.valueMin = 0
    axis.strokeColor = MUTED


def _caption(drawing, text, y):
    drawing.add(String(0, y, text, fontName=FONT, fontSize=LABEL_SIZE, fillColor=MUTED))


def _clip(text, length=30):
    text = str(text or "")
    return text if len(text) <= length else text[: length - 1] + "…"


def vertical_bars(labels, values, height=78 * mm, colour=DECLARED):
    """A bar per label (provinces, chapters), the labels turned upright under the bars; None without any value."""
    if not any(values):
        return None
    register_fonts()
    divisor, unit = unit_for(values)
    drawing = Drawing(CONTENT_WIDTH, height)
    chart = VerticalBarChart()
    chart.x, chart.y = 34, 62
    chart.width, chart.height = min(CONTENT_WIDTH - 40, 26 * len(values)), height - 74  # a few bars stay narrow
    chart.data = [_scaled(values, divisor)]
    chart.bars[0].fillColor = colour
    chart.bars[0].strokeColor = None
    chart.barSpacing = 1
    chart.categoryAxis.categoryNames = [_clip(label, 22) for label in labels]
    chart.categoryAxis.labels.angle = 90
    chart.categoryAxis.labels.boxAnchor = "e"
    chart.categoryAxis.labels.dx, chart.categoryAxis.labels.dy = 0, -2
    chart.categoryAxis.labels.fontName = FONT
    chart.categoryAxis.labels.fontSize = LABEL_SIZE
    chart.categoryAxis.strokeColor = MUTED
    _axis_numbers(chart.valueAxis)
    chart.valueAxis.gridStrokeColor = colors.HexColor("#d6dde5")
    chart.valueAxis.visibleGrid = True
    drawing.add(chart)
    _caption(drawing, unit, height - 7)
    return drawing


def by_province(table, column=1):
    """Declared quantity by province (the dashboard's "by_province" table, already largest first)."""
    rows = table.rows[:MAX_BARS]
    return vertical_bars([short_name(row[0]) for row in rows], [row[column] for row in rows])


def by_chapter(table, column=1):
    """Declared quantity by chapter of the waste list (a province's report, where one bar per province is one bar)."""
    rows = table.rows[:MAX_BARS]
    return vertical_bars([str(row[0]).split(" – ")[0] for row in rows], [row[column] for row in rows])


def monthly_trend(table, height=70 * mm):
    """Declared and treated quantity per month (the dashboard's "by_month" table: month, declared, transported,
    received, treated)."""
    declared = [row[1] for row in table.rows]
    treated = [row[4] for row in table.rows]
    if not any(declared) and not any(treated):
        return None
    register_fonts()
    divisor, unit = unit_for(declared + treated)
    drawing = Drawing(CONTENT_WIDTH, height)
    chart = HorizontalLineChart()
    chart.x, chart.y = 34, 28
    chart.width, chart.height = CONTENT_WIDTH - 40, height - 44
    chart.data = [_scaled(declared, divisor), _scaled(treated, divisor)]
    chart.categoryAxis.categoryNames = [str(row[0])[:2] for row in table.rows]
    chart.categoryAxis.labels.fontName = FONT
    chart.categoryAxis.labels.fontSize = LABEL_SIZE
    chart.categoryAxis.strokeColor = MUTED
    _axis_numbers(chart.valueAxis)
    chart.valueAxis.visibleGrid = True
    chart.valueAxis.gridStrokeColor = colors.HexColor("#d6dde5")
    chart.lines[0].strokeColor, chart.lines[0].strokeWidth = DECLARED, 2.6
    chart.lines[1].strokeColor, chart.lines[1].strokeWidth = TREATED, 1.4
    chart.lines[1].strokeDashArray = (4, 2)  # visible where it runs on the declared line
    drawing.add(chart)
    legend = Legend()
    legend.x, legend.y = 40, 8
    legend.alignment = "right"
    legend.columnMaximum = 1
    legend.fontName = FONT
    legend.fontSize = LABEL_SIZE + 0.5
    legend.deltax = 90
    legend.colorNamePairs = [(DECLARED, _("Declared")), (TREATED, _("Treated"))]
    drawing.add(legend)
    _caption(drawing, unit, height - 7)
    return drawing


def by_method(table, column=4, height=None):
    """Treated quantity by treatment method, one horizontal bar each (the dashboard's "by_method" table; the row
    of waste not treated yet has no treated quantity and no bar)."""
    rows = [row for row in table.rows if row[column]]
    rows = sorted(rows, key=lambda row: -row[column])[:MAX_METHODS]
    if not rows:
        return None
    register_fonts()
    values = [row[column] for row in rows]
    divisor, unit = unit_for(values)
    height = height or (22 + 11 * len(rows)) * mm / 2.8 + 30
    drawing = Drawing(CONTENT_WIDTH, height)
    chart = HorizontalBarChart()
    chart.x, chart.y = 150, 18
    chart.width, chart.height = CONTENT_WIDTH - 160, height - 30
    chart.data = [_scaled(list(reversed(values)), divisor)]
    chart.bars[0].fillColor = TREATED
    chart.bars[0].strokeColor = None
    chart.categoryAxis.categoryNames = [_clip(row[0], 40) for row in reversed(rows)]
    chart.categoryAxis.labels.fontName = FONT
    chart.categoryAxis.labels.fontSize = LABEL_SIZE
    chart.categoryAxis.labels.boxAnchor = "e"
    chart.categoryAxis.labels.dx = -3
    chart.categoryAxis.strokeColor = MUTED
    _axis_numbers(chart.valueAxis)
    drawing.add(chart)
    _caption(drawing, unit, 2)
    return drawing
