"""Forms of the generator's pages: the draft with its lines, signing, cancelling, revisions, decisions.

They parse and shape input; the rules (who, status, permit) stay in manifests.services.
"""

from decimal import Decimal

from django import forms
from django.db.models import Q
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from catalog.codes import normalise_waste_code
from catalog.models import PhysicalState, TreatmentMethod, WasteCode
from common.integers import BoundedModelChoiceField, bounded_pk
from common.numbers import WholeNumberField

from . import draft_choices
from .filters import DateInput
from .forms_transport import PasswordSignatureForm, QuantityField
from .models import FollowUp, Packaging
from .services import LineInput

LINE_PREFIX = "lines"
# Below this many codes in the current catalog the page lists them all; above it the search fills the list.
WASTE_CODE_LIST_LIMIT = 400


class CounterpartySelect(forms.Select):
    """A party select that, when its choices are too many to list (`search_role` set by the form), lists only the
    chosen one and is searched instead: static/js/counterparty-search.js puts a search box before it, which asks
    manifests:counterparties (the user's permitted choices only) and fills the select. Few choices: a plain select,
    which works without JavaScript."""

    search_role = None

    def optgroups(self, name, value, attrs=None):
        if not self.search_role:
            return super().optgroups(name, value, attrs)
        iterator, everything = self.choices, self.choices
        chosen = [pk for pk in (bounded_pk(v) for v in value) if pk is not None]
        empty = [("", iterator.field.empty_label or "")]
        self.choices = empty + [iterator.choice(obj) for obj in iterator.queryset.filter(pk__in=chosen)]
        try:
            return super().optgroups(name, value, attrs)
        finally:
            self.choices = everything

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        if self.search_role:
            attrs = context["widget"]["attrs"]
            attrs["data-counterparty-search"] = f"{reverse('manifests:counterparties')}?role={self.search_role}"
            attrs["data-search-label"] = _("search")
            attrs["data-search-placeholder"] = _("Type part of the name or the tax code")
        return context


class PermitSelect(CounterpartySelect):
    """Each permit option says which facility site it belongs to (static/js/manifest-form.js hides the others)."""

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        instance = getattr(value, "instance", None)
        if instance is not None:
            option["attrs"]["data-site"] = str(instance.site_id)
        return option


class SiteChoiceField(BoundedModelChoiceField):
    def label_from_instance(self, site):
        return f"{site.organisation.name} – {site.name}"


class PermitChoiceField(BoundedModelChoiceField):
    def label_from_instance(self, permit):
        return _("%(number)s (%(site)s, valid until %(date)s)") % {
            "number": permit.number,
            "site": permit.site.name,
            "date": permit.valid_until.strftime("%d/%m/%Y"),
        }


class ManifestForm(forms.Form):
    """Parties and plan of a draft; the choices depend on who prepares (draft_choices.draft_choices)."""

    generator_site = SiteChoiceField(label=_("Generator site"), queryset=None, empty_label=_("Choose the site"), widget=CounterpartySelect)
    facility_site = SiteChoiceField(label=_("Receiving facility"), queryset=None, empty_label=_("Choose the facility"), widget=CounterpartySelect)
    permit = PermitChoiceField(
        label=_("Facility permit"),
        queryset=None,
        empty_label=_("Choose the permit"),
        widget=PermitSelect,
        help_text=_("The environmental permit under which the facility receives this waste."),
    )
    transporter = BoundedModelChoiceField(
        label=_("Transporter"), queryset=None, empty_label=_("Choose the transporter"), widget=CounterpartySelect
    )
    planned_pickup_date = forms.DateField(label=_("Planned pickup date"), widget=DateInput)
    note = forms.CharField(label=_("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        generator_sites, facility_sites = draft_choices.draft_choices(user)
        self.fields["generator_site"].queryset = generator_sites
        self.fields["facility_site"].queryset = facility_sites
        self.fields["permit"].queryset = draft_choices.valid_permits(facility_sites, timezone.localdate())
        self.fields["transporter"].queryset = draft_choices.active_transporters(user)
        self.fields["planned_pickup_date"].initial = self.fields["planned_pickup_date"].initial or timezone.localdate()
        for name, sites in (("generator_site", generator_sites), ("facility_site", facility_sites)):
            few = list(sites[:2])  # not the whole list: a facility may choose among every generator site
            if len(few) == 1 and not self.initial.get(name):
                self.fields[name].initial = few[0].pk
        # Long lists (every generator site of the country for a facility; every facility, permit and transporter
        # for a generator) are searched rather than listed.
        for name in ("generator_site", "facility_site", "transporter", "permit"):
            if self.fields[name].queryset.count() > draft_choices.COUNTERPARTY_LIST_LIMIT:
                self.fields[name].widget.search_role = name

    def clean(self):
        cleaned = super().clean()
        site, permit, day = cleaned.get("facility_site"), cleaned.get("permit"), cleaned.get("planned_pickup_date")
        if site and permit and permit.site_id != site.pk:
            self.add_error("permit", _("The permit does not belong to the receiving facility site."))
        elif permit and day and not permit.is_valid_on(day):
            self.add_error(
                "permit",
                _("Permit %(number)s is not valid on %(date)s.") % {"number": permit.number, "date": day.strftime("%d/%m/%Y")},
            )
        return cleaned


class WasteCodeField(forms.CharField):
    """A code of the current catalog, typed ('17 02 03', '170203') or picked from the suggestions."""

    def __init__(self, **kwargs):
        super().__init__(max_length=20, **kwargs)

    def to_python(self, value):
        text = " ".join(super().to_python(value).split())
        return normalise_waste_code(text) or text

    def clean(self, value):
        text = super().clean(value)
        if not text:
            return None
        code = WasteCode.objects.current().filter(code=text).first()
        if code is not None and code.is_ordinary:
            raise forms.ValidationError(code.ordinary_refusal(), code="ordinary")
        if code is None:
            raise forms.ValidationError(
                _("%(code)s is not a waste code of the current catalog. Type the code, e.g. 17 02 03, or search by name.") % {"code": text},
                code="unknown",
            )
        return code

    def prepare_value(self, value):
        if isinstance(value, WasteCode):
            return value.code
        if isinstance(value, int):
            code = WasteCode.objects.filter(pk=value).first()
            return code.code if code else value
        return value


class LineForm(forms.Form):
    waste_code = WasteCodeField(
        label=_("Waste code"), help_text=_("Type the code (e.g. 17 02 03) or part of the waste's name, then pick a suggestion.")
    )
    description = forms.CharField(label=_("Waste description"), max_length=255)
    physical_state = forms.ChoiceField(label=_("Physical state"), choices=[("", "—"), *PhysicalState.choices])
    packaging_type = forms.ChoiceField(label=_("Packaging"), choices=[("", "—"), *Packaging.choices])
    packaging_count = WholeNumberField(label=_("Number of packages"), min_value=1, max_value=100000)
    quantity_kg = QuantityField(label=_("Quantity (kg)"), min_value=Decimal("0.01"))
    planned_method = BoundedModelChoiceField(
        label=_("Planned treatment method"),
        queryset=TreatmentMethod.objects.order_by("order", "code"),
        required=False,
        empty_label=_("Choose before signing"),
        help_text=_("Needed at the handover; the facility's permit must allow it."),
    )
    planned_method_note = forms.CharField(label=_("Planned method in words (when “Other”)"), max_length=255, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Suggestions: a shared <datalist>, refilled by the search (htmx) as the user types.
        self.fields["waste_code"].widget.attrs.update(
            {
                "list": "waste-code-options",
                "autocomplete": "off",
                "hx-get": reverse_lazy("manifests:waste_code_search"),
                "hx-trigger": "input changed delay:300ms",
                "hx-target": "#waste-code-options",
                "hx-swap": "innerHTML",
                "hx-sync": "this:replace",
            }
        )

    def waste_code_name(self):
        """The name of a code the form already checked (static/js/manifest-form.js shows it as soon as one is picked)."""
        code = self.cleaned_data.get("waste_code") if hasattr(self, "cleaned_data") else None
        return code.name if code is not None else ""

    def line_input(self):
        data = self.cleaned_data
        return LineInput(
            waste_code=data["waste_code"],
            description=data["description"].strip(),
            physical_state=data["physical_state"],
            packaging_type=data["packaging_type"],
            packaging_count=data["packaging_count"],
            quantity_kg=data["quantity_kg"],
            planned_method=data.get("planned_method"),
            planned_method_note=(data.get("planned_method_note") or "").strip(),
        )

    def clean(self):
        cleaned = super().clean()
        method = cleaned.get("planned_method")
        if method is not None and method.is_other and not (cleaned.get("planned_method_note") or "").strip():
            self.add_error("planned_method_note", _("Describe the method in words when choosing “Other”."))
        return cleaned


class BaseLineFormSet(forms.BaseFormSet):
    def clean(self):
        super().clean()
        if any(self.errors):
            return
        if not self.line_forms():
            raise forms.ValidationError(_("Add at least one waste line."), code="no_lines")

    def line_forms(self):
        """Filled forms not marked for deletion (blank extra forms are left out)."""
        return [
            form
            for form in self.forms
            if form.has_changed() and not (self.can_delete and self._should_delete_form(form)) and form.cleaned_data
        ]

    def line_inputs(self):
        return [form.line_input() for form in self.line_forms()]

    def check_permit(self, permit):
        """Tell, next to the line, a code the chosen permit does not cover (Permit.uncovered_codes)."""
        if permit is None:
            return True
        forms_with_codes = [form for form in self.line_forms() if form.cleaned_data.get("waste_code") is not None]
        uncovered = set(permit.uncovered_codes([form.cleaned_data["waste_code"] for form in forms_with_codes]))
        ok = True
        for form in forms_with_codes:
            code = form.cleaned_data["waste_code"]
            if code.code in uncovered:
                form.add_error(
                    "waste_code",
                    _("Permit %(number)s does not cover waste code %(code)s.") % {"number": permit.number, "code": code.code},
                )
                ok = False
        return ok


LineFormSet = forms.formset_factory(LineForm, formset=BaseLineFormSet, extra=1, can_delete=True, max_num=500, validate_max=True)


def line_initial(lines):
    return [
        {
            "waste_code": line.waste_code.code,
            "description": line.description,
            "physical_state": line.physical_state,
            "packaging_type": line.packaging_type,
            "packaging_count": line.packaging_count,
            "quantity_kg": line.quantity_kg,
            "planned_method": line.planned_method_id,
            "planned_method_note": line.planned_method_note,
        }
        for line in lines
    ]


def waste_code_suggestions():
    """The whole current catalog for the suggestions list when it is small; otherwise the search fills it."""
    codes = WasteCode.objects.for_manifest().order_by("code")
    return list(codes[: WASTE_CODE_LIST_LIMIT + 1]) if codes.count() <= WASTE_CODE_LIST_LIMIT else []


class SignForm(PasswordSignatureForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["password"].help_text = _("Re-enter your password to sign: this is your signature of the handover.")


class FollowUpForm(PasswordSignatureForm):
    """Where a rejected load goes: back to the generator, or to another licensed facility under its permit."""

    kind = forms.ChoiceField(label=_("The rejected waste"), choices=FollowUp.choices, widget=forms.RadioSelect)
    facility_site = SiteChoiceField(label=_("Other licensed facility"), queryset=None, required=False, empty_label=_("Choose the facility"))
    permit = PermitChoiceField(
        label=_("Its permit"), queryset=None, required=False, empty_label=_("Choose the permit"), widget=PermitSelect
    )
    planned_method = BoundedModelChoiceField(
        label=_("Planned treatment method"), queryset=TreatmentMethod.objects.order_by("order", "code"), required=False
    )
    planned_method_note = forms.CharField(label=_("Planned method in words (when “Other”)"), max_length=255, required=False)
    field_order = ["kind", "facility_site", "permit", "planned_method", "planned_method_note", "password"]

    def __init__(self, *args, original, **kwargs):
        super().__init__(*args, **kwargs)
        sites = draft_choices.active_facility_sites().exclude(pk=original.facility_site_id).select_related("organisation").order_by("organisation__name", "name")
        self.fields["facility_site"].queryset = sites
        self.fields["permit"].queryset = draft_choices.valid_permits(sites, timezone.localdate())

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("kind") == FollowUp.REDIRECT:
            for name in ("facility_site", "permit", "planned_method"):
                if not cleaned.get(name):
                    self.add_error(name, _("Needed to redirect the waste to another facility."))
        return cleaned


class CancelForm(forms.Form):
    reason = forms.CharField(label=_("Reason for cancelling"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))


class RefuseForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for refusing"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("For example: we never ordered this collection; the waste or the quantities are not ours."),
    )


# --- revisions -------------------------------------------------------------------------------------------


class RevisionForm(forms.Form):
    """Optional new values per line (only what changes), and the mandatory reason."""

    comment = forms.CharField(
        label=_("Reason for the revision"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("The other parties read it before approving or refusing."),
    )

    def __init__(self, *args, manifest, lines, **kwargs):
        super().__init__(*args, **kwargs)
        self.manifest, self.lines = manifest, lines
        current = [line.treatment_method_id for line in lines if line.treatment_method_id]
        methods = TreatmentMethod.objects.filter(Q(permits=manifest.permit) | Q(pk__in=current))
        self.rows = []
        for line in lines:
            names = {}
            names["received_quantity_kg"] = self._add(
                line, "received_quantity_kg", QuantityField(label=_("New received quantity (kg)"), required=False, min_value=Decimal(0))
            )
            if not line.rejected:
                names["treatment_method"] = self._add(
                    line,
                    "treatment_method",
                    BoundedModelChoiceField(
                        label=_("New treatment method"), required=False, queryset=methods.distinct().order_by("order", "code"), empty_label=_("unchanged")
                    ),
                )
                names["treated_on"] = self._add(line, "treated_on", forms.DateField(label=_("New treatment date"), required=False, widget=DateInput))
            names["description"] = self._add(line, "description", forms.CharField(label=_("New description"), required=False, max_length=255))
            self.rows.append({"line": line, "fields": [self[name] for name in names.values()], "names": names})
        self.order_fields([*[name for row in self.rows for name in row["names"].values()], "comment"])

    def _add(self, line, field, form_field):
        name = f"line_{line.pk}_{field}"
        self.fields[name] = form_field
        return name

    def clean(self):
        cleaned = super().clean()
        received_on = timezone.localtime(self.manifest.received_at).date() if self.manifest.received_at else None
        today = timezone.localdate()
        for row in self.rows:
            name = row["names"].get("treated_on")
            day = cleaned.get(name) if name else None
            if day and (day > today or (received_on and day < received_on)):
                self.add_error(name, _("The treatment date must be between the reception date and today."))
        return cleaned

    def changes(self):
        """{line id: {field: value}} with only the values that differ from the current ones."""
        changes = {}
        for row in self.rows:
            line, fields = row["line"], {}
            for field, name in row["names"].items():
                value = self.cleaned_data.get(name)
                if isinstance(value, str):
                    value = value.strip()
                if value in (None, ""):
                    continue
                if isinstance(value, Decimal):
                    value = value.quantize(Decimal("0.01"))
                current = getattr(line, field)
                if value != current:
                    fields[field] = value
            if fields:
                changes[line.pk] = fields
        return changes


class DecisionForm(forms.Form):
    DECISIONS = (("approve", _("Approve")), ("refuse", _("Refuse")))

    decision = forms.ChoiceField(label=_("Decision"), choices=DECISIONS, widget=forms.HiddenInput)
    comment = forms.CharField(
        label=_("Comment"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required when you refuse."),
    )


__all__ = [
    "LINE_PREFIX",
    "CancelForm",
    "DecisionForm",
    "FollowUpForm",
    "LineFormSet",
    "ManifestForm",
    "RevisionForm",
    "SignForm",
    "line_initial",
    "waste_code_suggestions",
]
