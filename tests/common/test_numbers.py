"""The one number rule (common.numbers): what is read from typed text, what is refused and why, and how
numbers are written on pages, in inputs and on the PDF in Vietnamese and in English."""

from decimal import Decimal

import pytest
from django import forms
from django.template import Context, Template
from django.utils import translation

from common.numbers import (
    AmbiguousNumber,
    NumberError,
    NumberField,
    WholeNumberField,
    format_coordinates,
    format_input,
    format_kg,
    format_number,
    parse_number,
)

LANGUAGES = ("vi", "en")

ACCEPTED = [
    ("1234,5", "1234.5"),
    ("1234.5", "1234.5"),
    ("1.234,5", "1234.5"),
    ("1,234.5", "1234.5"),
    ("1 234,5", "1234.5"),
    ("1\u00a0234,5", "1234.5"),  # a no-break space, as Excel and Word write it
    ("1\u202f234.5", "1234.5"),
    ("1 250", "1250"),
    ("1 250.500", "1250.5"),  # spaces group thousands: the point is the decimal one
    ("1.250.000", "1250000"),
    ("1,250,000.75", "1250000.75"),
    ("1.250,0", "1250"),
    ("0,250", "0.25"),  # "0" cannot start a thousands group
    ("0.125", "0.125"),
    ("1250.5", "1250.5"),
    ("12,3456", "12.3456"),  # four decimals: a decimal comma
    ("1234,567", "1234.567"),  # four digits before: not a thousands separator
    (",5", "0.5"),
    ("-3,5", "-3.5"),
    ("\u22123,5", "-3.5"),
    ("+7", "7"),
    ("１２,５", "12.5"),  # full-width digits of an Asian keyboard
    (" 42 ", "42"),
]


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(("typed", "expected"), ACCEPTED)
def test_clear_numbers_read_the_same_in_both_languages(language, typed, expected):
    with translation.override(language):
        assert parse_number(typed) == Decimal(expected)


@pytest.mark.parametrize("typed", ["1.250", "1,250", "12.500", "999,999", "-1.250"])
def test_one_separator_followed_by_three_digits_reads_two_ways_and_is_refused(typed):
    with pytest.raises(AmbiguousNumber) as caught:
        parse_number(typed)
    small, large = caught.value.readings
    assert large == small * 1000


@pytest.mark.parametrize(
    ("language", "readings", "suggestions"),
    [
        ("vi", ("1,25\u00a0kg", "1.250\u00a0kg"), ("1,25", "1250")),
        ("en", ("1.25\u00a0kg", "1,250\u00a0kg"), ("1.25", "1250")),
    ],
)
@pytest.mark.parametrize("typed", ["1.250", "1,250"])
def test_the_refusal_shows_both_readings_in_the_users_language(typed, language, readings, suggestions):
    with translation.override(language), pytest.raises(AmbiguousNumber) as caught:
        parse_number(typed, unit="kg")
    message = str(caught.value)
    assert f"“{typed}”" in message
    assert all(reading in message for reading in readings)
    assert all(suggestion in message for suggestion in suggestions)


@pytest.mark.parametrize(
    "typed",
    ["", "   ", None, True, "abc", "12kg", "1e5", "NaN", "1.2.3", "1,25,0", "1.250,5,5", "12 5", "1 2,5", "5.", "1.234 567,5", "1.23,5", "01.250,5"],
)
def test_what_is_not_a_clear_number_is_refused(typed):
    with pytest.raises(NumberError):
        parse_number(typed)


@pytest.mark.parametrize(
    ("value", "expected"), [(1.25, "1.25"), (1250, "1250"), (Decimal("1.250"), "1.25"), (137.50000000000003, "137.5")]
)
def test_a_native_number_from_a_spreadsheet_cell_is_not_ambiguous(value, expected):
    assert parse_number(value) == Decimal(expected)


def test_coordinates_have_no_thousands_so_one_separator_is_always_decimal():
    assert parse_number("10,776900", grouping=False) == Decimal("10.7769")
    assert parse_number("106.700", grouping=False) == Decimal("106.7")
    for typed in ("1.234,5", "1 234", "1.234.567"):
        with pytest.raises(NumberError):
            parse_number(typed, grouping=False)


def test_negatives_and_too_many_decimals_are_refused_when_asked():
    with pytest.raises(NumberError):
        parse_number("-5", allow_negative=False)
    with pytest.raises(NumberError):
        parse_number("12,345", max_decimals=2, grouping=False)
    assert parse_number("12,50", max_decimals=2) == Decimal("12.5")


# --- writing -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "vi", "en"),
    [
        (Decimal("1234.50"), "1.234,5", "1,234.5"),
        (Decimal("1250.00"), "1.250", "1,250"),
        (Decimal("0.05"), "0,05", "0.05"),
        (Decimal("1234567.891"), "1.234.567,89", "1,234,567.89"),
        (Decimal(0), "0", "0"),
    ],
)
def test_pages_and_the_pdf_write_numbers_in_the_language_format(value, vi, en):
    for language, expected in (("vi", vi), ("en", en)):
        with translation.override(language):
            assert format_number(value) == expected
            assert format_kg(value) == f"{expected}\u00a0kg"
    assert format_number(None) is None and format_kg(None) is None


def test_inputs_show_no_thousands_and_read_back_unchanged():
    values = [Decimal("1234.50"), Decimal("1250.00"), Decimal("1.25"), Decimal("1.250"), Decimal("999.999"), Decimal("0.05"), Decimal("1000000")]
    for language, expected in (
        ("vi", ["1234,5", "1250", "1,25", "1,25", "999,9990", "0,05", "1000000"]),
        ("en", ["1234.5", "1250", "1.25", "1.25", "999.9990", "0.05", "1000000"]),
    ):
        with translation.override(language):
            shown = [format_input(value) for value in values]
            assert shown == expected
            assert [parse_number(text) for text in shown] == values


def test_coordinates_are_printed_with_their_hemispheres():
    with translation.override("en"):
        assert format_coordinates(Decimal("10.776900"), Decimal("106.700900")) == "10.7769°\u00a0N, 106.7009°\u00a0E"
        assert format_coordinates(Decimal("-33.9"), Decimal("-70.5")) == "33.9000°\u00a0S, 70.5000°\u00a0W"
    with translation.override("vi"):
        assert format_coordinates(Decimal("10.776900"), Decimal("106.700900")).startswith("10,7769°")
    assert format_coordinates(None, Decimal(1)) == ""


def test_the_template_filters_are_built_in():
    template = Template("{{ q|kg }} · {{ q|number }} · {{ none|number|default_if_none:'–' }} · {{ lat|latitude }}")
    context = Context({"q": Decimal("1234.50"), "none": None, "lat": Decimal("10.7769")})
    with translation.override("vi"):
        assert template.render(context) == "1.234,5\u00a0kg · 1.234,5 · – · 10,7769°\u00a0" + translation.pgettext("latitude", "N")
    with translation.override("en"):
        assert template.render(context) == "1,234.5\u00a0kg · 1,234.5 · – · 10.7769°\u00a0N"


# --- the form field ----------------------------------------------------------------------------------


class QuantityForm(forms.Form):
    quantity = NumberField(unit="kg", max_digits=12, decimal_places=2, min_value=Decimal("0.01"))
    packages = WholeNumberField(min_value=1, required=False)


def test_the_field_reads_by_the_rule_and_refuses_an_ambiguous_quantity_with_both_readings():
    with translation.override("vi"):
        assert QuantityForm({"quantity": "1.234,5"}).is_valid()
        form = QuantityForm({"quantity": "1.250"})
        assert not form.is_valid()
        assert "1,25\u00a0kg" in form.errors["quantity"][0] and "1.250\u00a0kg" in form.errors["quantity"][0]
        assert form.has_error("quantity", "ambiguous")
    for typed in ("-5", "0", "12,345", "abc"):
        assert not QuantityForm({"quantity": typed}).is_valid()


def test_packages_are_whole_numbers_read_by_the_same_rule():
    form = QuantityForm({"quantity": "1", "packages": "1 200"})
    assert form.is_valid() and form.cleaned_data["packages"] == 1200
    for typed in ("1.000", "2,5", "0"):
        assert not QuantityForm({"quantity": "1", "packages": typed}).is_valid()


@pytest.mark.parametrize(("language", "shown"), [("vi", 'value="1234,5"'), ("en", 'value="1234.5"')])
def test_the_input_is_text_with_a_decimal_keypad_and_shows_the_language_format(language, shown):
    with translation.override(language):
        html = str(QuantityForm(initial={"quantity": Decimal("1234.50")})["quantity"])
    assert 'type="text"' in html and 'inputmode="decimal"' in html and shown in html
    assert 'type="number"' not in html
