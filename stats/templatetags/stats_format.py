"""How the statistics show numbers: the one place to change it (Vietnamese grouping "1.234.567", decimal
comma, through Django's localisation of the active language)."""

from datetime import date

from django import template
from django.utils.formats import date_format
from django.utils.html import conditional_escape as escape
from django.utils.safestring import mark_safe

from common.numbers import grouped

register = template.Library()


@register.filter
def quantity(value, decimals=0):
    """A quantity or count grouped by thousands in the active language ("1.234.567" in Vietnamese); empty for
    None."""
    if value is None or value == "":
        return ""
    return grouped(value, int(decimals))


@register.filter
def cell(value, kind):
    """A table cell by its column kind (stats.selectors.Table): kg and counts grouped, percents with one
    decimal, dates dd/mm/yyyy, text as it is."""
    if kind in ("kg", "count"):
        return quantity(value)
    if kind == "percent":
        return "" if value is None else f"{quantity(value, 1)} %"
    if isinstance(value, date):
        return date_format(value, "SHORT_DATE_FORMAT")
    return "" if value is None else value


ROWS_SHOWN = 100


@register.simple_tag
def table_body(table, limit=ROWS_SHOWN):
    """The <tbody> of a dashboard table (stats.selectors.Table), its first `limit` rows, built here rather than
    by template loops (a national page shows a few thousand cells): first cell a row heading, linked when the
    table has a drill-down URL for the row; numbers formatted by `cell`. Every value is escaped; the HTML is
    joined as text (format_html per cell cost most of a cold dashboard's rendering)."""
    kinds = [kind for _name, _label, kind in table.columns][1:]
    rows = []
    for index, row in enumerate(table.rows[:limit]):
        label = escape("—" if row[0] in (None, "") else row[0])
        link = table.links[index] if index < len(table.links) else ""
        heading = f'<th scope="row"><a href="{escape(link)}">{label}</a></th>' if link else f'<th scope="row">{label}</th>'
        cells = "".join(f'<td class="num">{escape(cell(value, kind))}</td>' for value, kind in zip(row[1:], kinds, strict=False))
        rows.append(f"<tr>{heading}{cells}</tr>")
    return mark_safe(f"<tbody>{''.join(rows)}</tbody>")  # noqa: S308 (every value escaped above)
