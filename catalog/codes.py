"""Waste codes as people type them and spreadsheets mangle them: the one normaliser of the project.

The draft form, the code search, the Excel line import, the admin import of the official list and the list
filters all read a code through `normalise_waste_code` (a whole code) or `waste_code_prefixes` (what has been
typed so far), so "170203", "17-02-03", 170203.0 and "'17 02 03" mean the same everywhere. A run of digits of
odd length lost its leading zero in a spreadsheet cell: 10101 is 01 01 01.
"""

import re

from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

CODE_PATTERN = r"^\d{2}( \d{2}){0,2}$"
waste_code_validator = RegexValidator(
    CODE_PATTERN, _("A waste code is 1 to 3 pairs of digits separated by spaces, e.g. 17 02 03.")
)

# Between the pairs: spaces (also the non-breaking ones of copied text), dots, dashes, slashes, stars.
_SEPARATORS = re.compile(r"[\s\u00a0\u202f.\-_/*]+")
_DIGITS = re.compile(r"[0-9]+")
_NUMBER_CELL = re.compile(r"[0-9]+\.0+")
MAX_DIGITS = 6


def _digit_groups(value):
    """The groups of digits of a code typed or read from a cell; None when it holds anything but digits."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, float):
        if not value.is_integer():
            return None
        value = int(value)
    # A leading apostrophe is how a spreadsheet (and our exports) keep a cell as text.
    text = str(value).strip().lstrip("'").strip()
    if _NUMBER_CELL.fullmatch(text):
        text = text.split(".")[0]  # 170203.0: a number cell read as text
    groups = [group for group in _SEPARATORS.split(text) if group]
    if not groups or not all(_DIGITS.fullmatch(group) for group in groups):
        return None
    return groups


def _pairs(digits):
    return " ".join(digits[i : i + 2] for i in range(0, len(digits), 2))


def normalise_waste_code(value):
    """'170203', '17 02 03', '17-02-03', 170203, 10101 → '17 02 03' / '01 01 01'; None when not a code.

    Separated groups must be pairs ('17 2 03' is a typo, not a code); one run of digits is split into pairs.
    """
    groups = _digit_groups(value)
    if groups is None:
        return None
    if len(groups) > 1:
        return " ".join(groups) if len(groups) <= 3 and all(len(group) == 2 for group in groups) else None
    digits = groups[0]
    if not 2 <= len(digits) <= MAX_DIGITS:
        return None
    return _pairs(digits.zfill(len(digits) + len(digits) % 2))


def waste_code_prefixes(value):
    """The code prefixes a partly typed code may stand for: '1702' → ['17 02']; '170' → ['17 0', '01 70']
    (as typed, or a code whose leading zero a spreadsheet dropped). Empty when the text is not a code."""
    groups = _digit_groups(value)
    if groups is None:
        return []
    if len(groups) > 1:
        pairs_then_rest = all(len(group) == 2 for group in groups[:-1]) and 1 <= len(groups[-1]) <= 2
        return [" ".join(groups)] if len(groups) <= 3 and pairs_then_rest else []
    digits = groups[0]
    if len(digits) > MAX_DIGITS:
        return []
    prefixes = [_pairs(digits)]
    whole = normalise_waste_code(digits)
    if whole and whole not in prefixes:
        prefixes.append(whole)
    return prefixes
