"""Validators for Vietnamese identifiers: tax codes, vehicle plates, coordinates inside Vietnam."""

import re
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

TAX_CODE_RE = re.compile(r"^\d{10}(-\d{3})?$")
# 2-digit province series, 1-2 letters (optionally followed by one digit), then 4 or 5 digits.
PLATE_RE = re.compile(r"^(?P<area>\d{2})(?P<series>[A-Z]{1,2}\d?)-(?P<number>\d{4}|\d{3}\.\d{2})$")


def validate_tax_code(value):
    if not TAX_CODE_RE.match(value or ""):
        raise ValidationError(
            _("A tax code has 10 digits, or 10 digits, a “-” and 3 digits (dependent unit)."),
            code="invalid_tax_code",
        )


def normalise_plate(value):
    """Write a plate the way it is painted: '51c 12345' -> '51C-123.45', '29a1234' -> '29A-1234'.

    Without a dash, the digits after the letters decide: 4 or 5 are the number, 6 are a series digit
    and a 5-digit number (motorbike-style '29C1-123.45').
    """
    text = (value or "").strip().upper()
    if "-" in text:
        prefix, _, digits = text.partition("-")
        prefix, digits = re.sub(r"\s", "", prefix), re.sub(r"[\s.]", "", digits)
    else:
        match = re.match(r"^(\d{2}[A-Z]{1,2})(\d{4,6})$", re.sub(r"[\s.]", "", text))
        if not match:
            return text
        prefix, digits = match.groups()
        if len(digits) == 6:
            prefix, digits = prefix + digits[0], digits[1:]
    if len(digits) == 5 and digits.isdigit():
        digits = f"{digits[:3]}.{digits[3:]}"
    return f"{prefix}-{digits}"


def validate_plate(value):
    match = PLATE_RE.match(value or "")
    if not match or int(match["area"]) < 11:
        raise ValidationError(
            _("The licence plate does not match the Vietnamese format, e.g. 51C-123.45 or 29A-1234."), code="invalid_plate"
        )


def validate_latitude_longitude(latitude, longitude):
    """Both or neither; when given, the point must lie inside Vietnam (mainland, islands, Hoàng Sa, Trường Sa)."""
    from gis.geometry import point_in_vietnam

    if latitude is None and longitude is None:
        return
    if latitude is None or longitude is None:
        raise ValidationError(_("Enter both latitude and longitude, or leave both empty."), code="incomplete_position")
    if not point_in_vietnam(Decimal(latitude), Decimal(longitude)):
        raise ValidationError(
            _("The position (%(lat)s, %(lng)s) is outside Vietnam's territory."),
            code="outside_vietnam",
            params={"lat": latitude, "lng": longitude},
        )
