"""How the statistics show numbers: the one place to change it (Vietnamese grouping "1.234.567", decimal
comma, through Django's localisation of the active language)."""

from datetime import date
from decimal import Decimal

from django import template
from django.utils.formats import date_format, number_format

register = template.Library()


@register.filter
def quantity(value, decimals=0):
    """A quantity or count grouped by thousands in the active language; empty for None."""
    if value is None or value == "":
        return ""
    return number_format(Decimal(value), decimal_pos=int(decimals), use_l10n=True, force_grouping=True)


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


@register.filter
def at(sequence, index):
    """sequence[index], or "" beyond its end (the drill-down link of a row)."""
    try:
        return sequence[index]
    except (IndexError, TypeError):
        return ""
