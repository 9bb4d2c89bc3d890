"""The one number rule of the project: how a typed number is read, and how a number is written.

Reading (`parse_number`) is the same for the web forms, the Excel import and the CSV import, whatever the
language: "1234,5", "1234.5", "1.234,5", "1,234.5" and "1 234,5" all mean 1234.5. A number that reads two
ways is refused with both readings, never guessed: "1.250" and "1,250" (one separator followed by exactly
three digits) may be 1.25 or 1250. A native number (a numeric Excel cell, a Decimal) is never ambiguous.

Writing follows the active language: Vietnamese "1.234,5 kg", English "1,234.5 kg" (`format_number`,
`format_kg`), with at most two decimals and no trailing zeros. Inputs show the value without thousands
separators and with the language's decimal separator ("1234,5"), so that a value the page writes reads
back unchanged; a value with exactly three decimals gets a fourth digit ("1,2500") for the same reason.
Coordinates print with the hemisphere ("10,7769° B, 106,7009° Đ"), never as two bare numbers.

`NumberField` and `NumberInput` are the form field and widget that use both (type="text" with
inputmode="decimal": type="number" cannot show a decimal comma).
"""

import math
import re
import unicodedata
from decimal import Decimal, InvalidOperation

from django import forms
from django.utils import formats, numberformat
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

# Grouping characters besides "." and ",": spaces (plain, no-break, narrow no-break, thin) and apostrophes.
SPACES = " \u00a0\u202f\u2009'\u2019"
_ALLOWED = re.compile(rf"[0-9.,{SPACES}]+")
_MINUS = "-\u2212"
KG_PLACES = 2
NBSP = "\u00a0"


class NumberError(ValueError):
    """A typed number that cannot be read; str() is the message for the user (active language)."""

    code = "invalid"


class AmbiguousNumber(NumberError):
    """One separator followed by exactly three digits: `readings` holds (decimal reading, thousands reading)."""

    code = "ambiguous"

    def __init__(self, message, readings):
        super().__init__(message)
        self.readings = readings


def _unclear(original):
    return NumberError(_("“%(value)s” is not a clear number; write it like 1250.5 or 1250,5.") % {"value": original})


def _not_a_number(original):
    return NumberError(_("“%(value)s” is not a number.") % {"value": original})


def _with_unit(text, unit):
    return f"{text}{NBSP}{unit}" if unit else text


def _ambiguous(original, whole, fraction, sign, unit):
    small, large = Decimal(f"{sign}{whole}.{fraction}"), Decimal(f"{sign}{whole}{fraction}")
    message = _("“%(value)s” can be read as %(small)s or as %(large)s: write %(small_typed)s or %(large_typed)s to make it clear.") % {
        "value": original,
        "small": _with_unit(format_number(small, 3), unit),
        "large": _with_unit(format_number(large, 3), unit),
        "small_typed": format_input(small),
        "large_typed": format_input(large),
    }
    return AmbiguousNumber(message, (small, large))


def _check_groups(groups, original):
    """Thousands groups: the first of 1–3 digits (no leading zero), every other of exactly 3."""
    first = groups[0]
    if not (1 <= len(first) <= 3) or (first.startswith("0")) or any(len(group) != 3 for group in groups[1:]):
        raise _unclear(original)
    return "".join(groups)


def _read_text(original, grouping, unit):
    """Decimal from typed text (see the module docstring); NumberError otherwise."""
    text = unicodedata.normalize("NFKC", original).strip()  # full-width digits, no-break spaces
    sign = ""
    if text[:1] in _MINUS or text[:1] == "+":
        sign = "-" if text[0] in _MINUS else ""
        text = text[1:].lstrip()
    if not text or not _ALLOWED.fullmatch(text) or not any(c.isdigit() for c in text):
        raise _not_a_number(original)
    if text[0] in SPACES or text[-1] in SPACES + ".,":
        raise _unclear(original)
    spaced = any(c in SPACES for c in text)
    if spaced and not grouping:
        raise _unclear(original)
    dots, commas = text.count("."), text.count(",")
    if dots and commas:
        if spaced:
            raise _unclear(original)
        decimal_sep = "." if text.rfind(".") > text.rfind(",") else ","
        if text.count(decimal_sep) > 1 or not grouping:
            raise _unclear(original)
        whole, fraction = text.split(decimal_sep)
        whole = _check_groups(whole.split("," if decimal_sep == "." else "."), original)
    elif dots or commas:
        sep = "." if dots else ","
        if text.count(sep) > 1:
            if not grouping or spaced:
                raise _unclear(original)
            whole, fraction = _check_groups(text.split(sep), original), ""
        else:
            whole, fraction = text.split(sep)
            if spaced:
                whole = _check_groups(re.split(f"[{SPACES}]", whole), original)
            elif grouping and len(fraction) == 3 and 1 <= len(whole) <= 3 and not whole.startswith("0"):
                raise _ambiguous(original, whole, fraction, sign, unit)
    else:
        whole, fraction = _check_groups(re.split(f"[{SPACES}]", text), original) if spaced else text, ""
    if any(c in SPACES for c in fraction):
        raise _unclear(original)
    try:
        return Decimal(f"{sign}{whole or '0'}" + (f".{fraction}" if fraction else ""))
    except InvalidOperation:
        raise _not_a_number(original) from None


def parse_number(value, *, max_decimals=None, allow_negative=True, grouping=True, unit=""):
    """A Decimal from a typed text or a native number (int, Decimal, float as a spreadsheet cell gives it).

    `grouping=False` (coordinates): no thousands separators, so "." or "," is always the decimal one.
    `unit` ("kg") is shown with the two readings of an ambiguous number. NumberError (a ValueError) with a
    message for the user otherwise; AmbiguousNumber for a number that reads two ways.
    """
    if isinstance(value, bool):
        raise NumberError(_("Enter a number."))  # True would otherwise be read as 1
    if isinstance(value, int | Decimal):
        number = Decimal(value)
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise NumberError(_("Enter a number."))
        # Drop binary noise from spreadsheet arithmetic (137.50000000000003), then the zeros that leaves.
        number = Decimal(repr(value))
        if abs(value) < 1e15:
            number = number.quantize(Decimal("0.000001"))
            number = number.quantize(Decimal(1)) if number == number.to_integral_value() else number.normalize()
    else:
        original = "" if value is None else str(value).strip()
        if not original:
            raise NumberError(_("Enter a number."))
        number = _read_text(original, grouping, unit)
    if not number.is_finite():
        raise NumberError(_("Enter a number."))
    if not allow_negative and number < 0:
        raise NumberError(_("The number must not be negative."))
    if max_decimals is not None and number != number.quantize(Decimal(1).scaleb(-max_decimals)):
        raise NumberError(_("At most %(places)d decimals.") % {"places": max_decimals})
    return number


# --- writing -----------------------------------------------------------------------------------------


def _places(value, max_places):
    """Decimals to show: those `value` needs, at most `max_places` (rounded), trailing zeros dropped."""
    value = Decimal(value)
    if max_places is not None:
        value = value.quantize(Decimal(1).scaleb(-max_places))
    exponent = value.normalize().as_tuple().exponent
    return value, max(0, -exponent) if isinstance(exponent, int) else 0


def grouped(value, places):
    """`value` with `places` decimals, grouped by thousands with the active language's separators. Python's own
    grouping: Django's number_format costs about 20 times more, and a list or a dashboard prints thousands."""
    text = f"{Decimal(value):,.{places}f}"
    point, thousands = formats.get_format("DECIMAL_SEPARATOR"), formats.get_format("THOUSAND_SEPARATOR")
    return text.replace(",", "\0").replace(".", point).replace("\0", thousands)


def format_number(value, max_places=KG_PLACES):
    """`value` in the active language's format with thousands grouping: "1.234,5" (vi), "1,234.5" (en).

    At most `max_places` decimals (None: as many as the value has), no trailing zeros; None gives None."""
    if value is None or value == "":
        return None
    value, places = _places(value, max_places)
    return grouped(value, places)


def format_kg(value):
    """A quantity with its unit: "1.234,5 kg" (vi), "1,234.5 kg" (en); None gives None."""
    text = format_number(value)
    return None if text is None else _with_unit(text, "kg")


def format_input(value, max_places=None):
    """A number as an input shows it: the language's decimal separator, no grouping, trailing zeros
    dropped; exactly three decimals get a fourth digit so that the text does not read two ways."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        return value  # what the user typed, shown back as typed
    try:
        value, places = _places(value, max_places)
    except (InvalidOperation, TypeError, ValueError):
        return str(value)
    if places == 3:
        places = 4
    return numberformat.format(value, formats.get_format("DECIMAL_SEPARATOR"), decimal_pos=places, grouping=0, use_l10n=True)


def _degrees(value, places, positive, negative):
    """abs(value) in degrees with the hemisphere of its sign: "10,7769° B"; None gives None."""
    if value is None or value == "":
        return None
    value = Decimal(value)
    text = formats.number_format(abs(value).quantize(Decimal(1).scaleb(-places)), decimal_pos=places, use_l10n=True)
    return f"{text}°{NBSP}{positive() if value >= 0 else negative()}"


def format_latitude(value, places=4):
    """A latitude with its hemisphere: "10,7769° B" (vi), "10.7769° N" (en); None gives None."""
    return _degrees(value, places, lambda: pgettext("latitude", "N"), lambda: pgettext("latitude", "S"))


def format_longitude(value, places=4):
    """A longitude with its hemisphere: "106,7009° Đ" (vi), "106.7009° E" (en); None gives None."""
    return _degrees(value, places, lambda: pgettext("longitude", "E"), lambda: pgettext("longitude", "W"))


def format_coordinates(latitude, longitude, places=4):
    """A position printed unambiguously: "10,7769° B, 106,7009° Đ" (vi), "10.7769° N, 106.7009° E" (en)."""
    if latitude is None or longitude is None:
        return ""
    return f"{format_latitude(latitude, places)}, {format_longitude(longitude, places)}"


# --- forms -------------------------------------------------------------------------------------------


class NumberInput(forms.TextInput):
    """A text input for numbers: a decimal comma can be shown and typed; phones open the number pad."""

    def __init__(self, attrs=None, max_places=None):
        super().__init__({"inputmode": "decimal", "autocomplete": "off", **(attrs or {})})
        self.max_places = max_places

    def format_value(self, value):
        return format_input(value, self.max_places) or None


class NumberField(forms.DecimalField):
    """A decimal read by `parse_number` and shown by `NumberInput`; min/max/digits as DecimalField.

    `unit` is shown with the readings of an ambiguous number ("1.250": 1,25 kg or 1.250 kg)."""

    widget = NumberInput

    def __init__(self, *, unit="", grouping=True, **kwargs):
        self.unit, self.grouping = unit, grouping
        super().__init__(**kwargs)
        if isinstance(self.widget, NumberInput) and self.widget.max_places is None:
            self.widget.max_places = self.decimal_places

    def to_python(self, value):
        if value in self.empty_values:
            return None
        try:
            return parse_number(value, grouping=self.grouping, unit=self.unit)
        except NumberError as error:
            raise forms.ValidationError(str(error), code=error.code) from None


class WholeNumberField(NumberField):
    """A whole number (packages) read by the same rule; cleaned to an int."""

    def __init__(self, **kwargs):
        kwargs.setdefault("widget", NumberInput(attrs={"inputmode": "numeric"}))
        super().__init__(decimal_places=0, **kwargs)

    def to_python(self, value):
        number = super().to_python(value)
        if number is not None and number != number.to_integral_value():
            raise forms.ValidationError(_("Enter a whole number."), code="invalid")
        return None if number is None else Decimal(int(number))

    def clean(self, value):
        number = super().clean(value)
        return None if number is None else int(number)
