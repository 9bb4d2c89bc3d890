"""The annual report form: per waste code what the portal cannot know, the form (05.A / 05.B), a note, and the
password that signs the submission."""

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from manifests.forms import WasteCodeField
from manifests.forms_transport import QuantityField

from ..models import AnnualReport
from .services import ENTRY_FIELDS

EXTRA_ROWS = 3
MAX_ROWS = 1000  # codes of the catalog a large facility may receive in a year, with room


class EntryForm(forms.Form):
    """One row: a waste code and its quantities (the fields are added per report kind by entry_formset)."""

    quantity_fields = ()

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("waste_code") is None and any(cleaned.get(key) for key in self.quantity_fields):
            self.add_error("waste_code", _("Give the waste code of these quantities."))
        return cleaned


class BaseEntryFormSet(forms.BaseFormSet):
    def clean(self):
        super().clean()
        seen = set()
        for form in self.forms:
            code = form.cleaned_data.get("waste_code") if hasattr(form, "cleaned_data") else None
            if code is None:
                continue
            if code.code in seen:
                form.add_error("waste_code", _("Each waste code once: add the quantities up in one row."))
            seen.add(code.code)

    def entries(self):
        """The filled rows as service input: [{"waste_code": "17 02 03", field: Decimal, …}]; rows whose
        quantities are all empty or zero are left out."""
        rows = []
        for form in self.forms:
            data = getattr(form, "cleaned_data", None) or {}
            code = data.get("waste_code")
            values = {key: data.get(key) or Decimal(0) for key in form.quantity_fields}
            if code is not None and any(values.values()):
                rows.append({"waste_code": code.code, **values})
        return rows


def entry_formset(kind, data=None, initial=None):
    """A formset of rows (waste code + the kind's quantities); the codes of the prefill come first."""
    # The inputs sit in a table under their column headings: each carries its label for screen readers.
    fields = {"waste_code": WasteCodeField(label=_("Waste code"), required=False, widget=forms.TextInput(attrs={"aria-label": _("Waste code")}))}
    for key, label in ENTRY_FIELDS[kind]:
        field = QuantityField(label=label, required=False, min_value=Decimal(0))
        field.widget.attrs["aria-label"] = label
        fields[key] = field
    form_class = type("EntryForm", (EntryForm,), {**fields, "quantity_fields": tuple(key for key, _label in ENTRY_FIELDS[kind])})
    formset_class = forms.formset_factory(
        form_class, formset=BaseEntryFormSet, extra=EXTRA_ROWS, max_num=MAX_ROWS, absolute_max=MAX_ROWS, validate_max=True
    )
    return formset_class(data=data, initial=initial, prefix="entry")


class SubmitForm(forms.Form):
    form = forms.ChoiceField(
        label=_("Form"),
        choices=AnnualReport.Form.choices,
        initial=AnnualReport.Form.A,
        help_text=_("05.A if the site holds an environmental permit (treatment facilities always do); 05.B if it is under environmental registration."),
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))
    password = forms.CharField(
        label=_("Your password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text=_("Re-enter your password to sign: this is your signature of the report."),
    )
