"""How the statistics show numbers: the one place to change it (Vietnamese grouping "1.234.567", decimal
comma, through Django's localisation of the active language)."""

from datetime import date

from django import template
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
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
    table has a drill-down URL for the row; numbers formatted by `cell`."""
    kinds = [kind for _name, _label, kind in table.columns]
    rows = []
    for index, row in enumerate(table.rows[:limit]):
        label = "—" if row[0] in (None, "") else row[0]
        link = table.links[index] if index < len(table.links) else ""
        heading = format_html('<th scope="row"><a href="{}">{}</a></th>', link, label) if link else format_html('<th scope="row">{}</th>', label)
        cells = format_html_join("", '<td class="num">{}</td>', ((cell(value, kind),) for value, kind in zip(row[1:], kinds[1:], strict=False)))
        rows.append(format_html("<tr>{}{}</tr>", heading, cells))
    return format_html("<tbody>{}</tbody>", mark_safe("".join(rows)))  # noqa: S308 (each row escaped by format_html)
