"""Numbers on the statistics pages: Vietnamese grouping and decimal comma, English the other way round."""

from decimal import Decimal

from django.utils import translation

from stats.templatetags.stats_format import cell, quantity


def test_formats():
    with translation.override("vi"):
        assert quantity(Decimal("1234567.891")) == "1.234.568"
        assert quantity(Decimal("-1234.5"), 1) == "-1.234,5"
        assert cell(Decimal("12.34"), "percent") == "12,3 %"
        assert quantity(None) == "" and quantity(0) == "0"
    with translation.override("en"):
        assert quantity(Decimal("1234567.891"), 2) == "1,234,567.89"
