"""Admin import forms of the waste list: the file, plus the catalog version the rows go into.

The administrator picks an existing version, or names a new one (label, effective date, legal basis). A new
version is not created by the form: the resource creates it inside the import's transaction, so the preview
(a dry run, rolled back) and a refused import leave no empty version behind. The confirm form carries the same
choice in hidden fields from the preview to the real import.
"""

from datetime import date

from django import forms
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from import_export.forms import ConfirmImportForm, ImportForm

from .models import CatalogVersion


class VersionChoiceMixin:
    """Exactly one of: an existing version, or a new version's label (with its effective date)."""

    def clean(self):
        data = super().clean()
        version, label = data.get("version"), data.get("new_version_label")
        if version and label:
            raise forms.ValidationError(_("Choose an existing version or enter a new one, not both."))
        if not version and not label:
            raise forms.ValidationError(_("Choose the catalog version to import into, or enter a new one."))
        if label:
            if not data.get("new_version_effective_date"):
                self.add_error("new_version_effective_date", _("Enter the effective date of the new version."))
            if CatalogVersion.objects.filter(label=label).exists():
                self.add_error(
                    "new_version_label",
                    _("Catalog version “%(label)s” already exists: choose it in the list instead.") % {"label": label},
                )
        return data

    def resource_kwargs(self):
        """What WasteCodeResource needs: version=… or new_version={…}."""
        data = getattr(self, "cleaned_data", None) or {}
        if data.get("version"):
            return {"version": data["version"]}
        if data.get("new_version_label") and data.get("new_version_effective_date"):
            return {
                "new_version": {
                    "label": data["new_version_label"],
                    "effective_date": data["new_version_effective_date"],
                    "source": data.get("new_version_source", ""),
                }
            }
        return {}


class WasteCodeImportForm(VersionChoiceMixin, ImportForm):
    version = forms.ModelChoiceField(
        CatalogVersion.objects.all(),
        label=capfirst(_("catalog version")),
        required=False,
        help_text=_("The version the rows go into. Rows with the same code in this version are updated."),
    )
    new_version_label = forms.CharField(
        label=_("or a new version"),
        max_length=100,
        required=False,
        help_text=_("e.g. “Thông tư 02/2022/TT-BTNMT, Phụ lục III”; created when the import is confirmed."),
    )
    new_version_effective_date = forms.DateField(
        label=capfirst(_("effective date")),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    new_version_source = forms.CharField(label=capfirst(_("legal basis")), max_length=300, required=False)

    field_order = ["resource", "import_file", "format", "version", "new_version_label", "new_version_effective_date"]


class WasteCodeConfirmImportForm(VersionChoiceMixin, ConfirmImportForm):
    version = forms.ModelChoiceField(CatalogVersion.objects.all(), required=False, widget=forms.HiddenInput)
    new_version_label = forms.CharField(max_length=100, required=False, widget=forms.HiddenInput)
    new_version_effective_date = forms.DateField(required=False, widget=forms.HiddenInput)
    new_version_source = forms.CharField(max_length=300, required=False, widget=forms.HiddenInput)

    def version_description(self):
        """The chosen version, for the preview page."""
        values = self.data if self.is_bound else self.initial
        version_id, label = values.get("version"), values.get("new_version_label")
        if version_id:
            return str(CatalogVersion.objects.filter(pk=version_id).first() or "") if str(version_id).isdigit() else ""
        if label:
            try:
                effective = date.fromisoformat(values.get("new_version_effective_date", "")).strftime("%d/%m/%Y")
            except ValueError:
                effective = ""
            return _("%(label)s (new version, effective %(date)s)") % {"label": label, "date": effective}
        return ""

    @staticmethod
    def initial_from(import_form):
        data = import_form.cleaned_data
        effective_date = data.get("new_version_effective_date")
        return {
            "version": data["version"].pk if data.get("version") else "",
            "new_version_label": data.get("new_version_label", ""),
            "new_version_effective_date": effective_date.isoformat() if effective_date else "",
            "new_version_source": data.get("new_version_source", ""),
        }
