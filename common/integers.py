"""Integers typed by users — in URLs, query strings and forms — range-checked in one place.

A number beyond the database's integer (2^63 - 1 for a bigint; less for smaller columns) makes SQLite raise
OverflowError and PostgreSQL NumericValueOutOfRange: a 500 for a typo. Every integer a user sends passes here
first, so the answer is a 404 (a URL), "no filter" (a query parameter) or a form error, never a crash.

- `<id:pk>` in URL patterns: digits only, at most MAX_ID_DIGITS (registered once in hwms.apps).
- `bounded_int(value, low, high)` for query parameters.
- `BoundedModelChoiceField` / `bounded_pk` for forms choosing a row by its id.
"""

from django import forms

# Ids and codes of up to 18 digits fit every bigint column; a longer URL segment matches no pattern (404).
MAX_ID_DIGITS = 18
MAX_ID = 10**MAX_ID_DIGITS - 1
# Codes kept in a PositiveSmallIntegerField (provinces).
MAX_SMALL = 32767


class BoundedIntConverter:
    """Like Django's `<int:…>`, but at most MAX_ID_DIGITS digits: a longer number matches no URL (404)."""

    regex = f"[0-9]{{1,{MAX_ID_DIGITS}}}"

    def to_python(self, value):
        return int(value)

    def to_url(self, value):
        return str(value)


def bounded_int(value, low=1, high=MAX_ID):
    """The integer in a query-string value when it is plain ASCII digits (an optional minus sign) within
    [low, high]; None for anything else ('', '1a', '²', '1e3', 10**30)."""
    text = str(value if value is not None else "").strip()
    digits = text[1:] if text.startswith("-") else text
    if not (digits.isascii() and digits.isdigit()) or len(digits) > MAX_ID_DIGITS + 1:
        return None
    number = int(text)
    return number if low <= number <= high else None


def bounded_pk(value):
    """A primary key from a form or a query string, or None."""
    return bounded_int(value, 1, MAX_ID)


class BoundedModelChoiceMixin:
    """A model choice whose value is checked for range before any query: out of range is "not one of the
    choices" (the field's own error message), like any other unknown id."""

    def to_python(self, value):
        numeric_key = self.to_field_name is None and not isinstance(value, self.queryset.model)
        if numeric_key and value not in self.empty_values and bounded_pk(value) is None:
            raise forms.ValidationError(self.error_messages["invalid_choice"], code="invalid_choice", params={"value": value})
        return super().to_python(value)


class BoundedModelChoiceField(BoundedModelChoiceMixin, forms.ModelChoiceField):
    pass


class BoundedModelMultipleChoiceField(forms.ModelMultipleChoiceField):
    """Django checks each id of a multiple choice with `pk__in`, which its range guard does not cover."""

    def _check_values(self, value):
        if self.to_field_name is None:
            for item in value:
                if not isinstance(item, self.queryset.model) and bounded_pk(item) is None:
                    raise forms.ValidationError(
                        self.error_messages["invalid_choice"], code="invalid_choice", params={"value": item}
                    )
        return super()._check_values(value)


def bounded_formfield(field, **kwargs):
    """`formfield_callback` for model forms: their foreign keys and many-to-many fields range-check ids."""
    if field.many_to_many:
        return field.formfield(form_class=BoundedModelMultipleChoiceField, **kwargs)
    if field.many_to_one or field.one_to_one:
        return field.formfield(form_class=BoundedModelChoiceField, **kwargs)
    return field.formfield(**kwargs)
