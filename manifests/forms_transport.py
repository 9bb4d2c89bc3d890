"""Forms of the driver's phone pages (pickup, delivery) and of the facility's pages (receipt, treatment).

The forms only parse and shape input; the rules (status, permit, tolerance, roles) stay in manifests.services.
Per-line fields are named after the line id so that the services' errors ("line_<id>") land next to them.
"""

from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Permit, User, Vehicle
from catalog.models import WasteCode
from common.integers import BoundedModelChoiceField
from common.numbers import NumberField, format_number, parse_number

from .models import Status
from .views.common import new_idempotency_key

QUANTITY_MAX_DIGITS = 12


class QuantityField(NumberField):
    """A quantity in kg, read and shown by the project's one number rule (common.numbers): "12,5", "12.5",
    "1.234,5" are accepted, "1.250" is refused with both readings; the input shows "1234,5" in Vietnamese."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_digits", QUANTITY_MAX_DIGITS)
        kwargs.setdefault("decimal_places", 2)
        kwargs.setdefault("unit", "kg")
        super().__init__(**kwargs)


def _decimal_or_none(value, low, high, places):
    try:
        number = parse_number(value, grouping=False)
    except ValueError:
        return None
    if not low <= number <= high:
        return None
    return number.quantize(Decimal(places))


class PositionForm(forms.Form):
    """Hidden position fields filled by static/js/driver.js, and the idempotency key of the phone's POST.

    A missing or invalid position is dropped, never an error: the page works without geolocation.
    """

    latitude = forms.CharField(required=False, widget=forms.HiddenInput(attrs={"data-geo": "latitude"}))
    longitude = forms.CharField(required=False, widget=forms.HiddenInput(attrs={"data-geo": "longitude"}))
    accuracy = forms.CharField(required=False, widget=forms.HiddenInput(attrs={"data-geo": "accuracy"}))
    idempotency_key = forms.CharField(max_length=64, required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault("idempotency_key", new_idempotency_key())
        super().__init__(*args, **kwargs)

    def clean(self):
        cleaned = super().clean()
        latitude = _decimal_or_none(cleaned.get("latitude") or "", Decimal(-90), Decimal(90), "0.000001")
        longitude = _decimal_or_none(cleaned.get("longitude") or "", Decimal(-180), Decimal(180), "0.000001")
        if latitude is None or longitude is None:
            latitude = longitude = None
        accuracy = _decimal_or_none(cleaned.get("accuracy") or "", Decimal(0), Decimal(99999999), "0.1")
        cleaned["latitude"], cleaned["longitude"] = latitude, longitude
        cleaned["accuracy"] = accuracy if latitude is not None else None
        return cleaned

    @property
    def position(self):
        data = self.cleaned_data
        return {"latitude": data.get("latitude"), "longitude": data.get("longitude"), "accuracy_m": data.get("accuracy")}


def line_label(line):
    return f"{line.position}. {line.waste_code.code} – {line.description}"


class PasswordSignatureForm(forms.Form):
    """A signature at the facility: the named person re-enters their password."""

    password = forms.CharField(
        label=_("Your password (signature)"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text=_("Re-enter your password: the record names you as the person who signed."),
    )


class PickupForm(PositionForm):
    """The driver confirms the pickup: vehicle, quantity per line at the gate, and — when nobody signed ahead —
    the name of the generator's person handing over and their personal handover confirmation code."""

    vehicle = BoundedModelChoiceField(label=_("Vehicle"), queryset=Vehicle.objects.none(), empty_label=_("Choose the vehicle"))

    def __init__(self, *args, manifest, lines, signers=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.manifest, self.lines = manifest, lines
        vehicles = Vehicle.objects.filter(organisation_id=manifest.transporter_id, active=True).order_by("plate")
        if manifest.transporter_id != manifest.generator_id:  # a licensed transporter: the vehicles its permits list
            vehicles = vehicles.filter(permits__in=Permit.transport_permits(manifest.transporter_id)).distinct()
        self.fields["vehicle"].queryset = vehicles
        if len(vehicles) == 1:
            self.fields["vehicle"].initial = vehicles[0].pk
        for line in lines:
            self.fields[f"line_{line.pk}"] = QuantityField(
                label=line_label(line),
                min_value=Decimal("0.01"),
                initial=line.pickup_quantity_kg or line.quantity_kg,
                help_text=_("Declared: %(quantity)s kg") % {"quantity": format_number(line.quantity_kg)},
            )
        if self.needs_handover_code:
            self.fields["handover_by"] = BoundedModelChoiceField(
                label=_("Person handing the waste over"),
                queryset=User.objects.filter(pk__in=[m.user_id for m in signers]),
                empty_label=_("Choose your name"),
                help_text=_("The generator has not signed yet: the person of the generator at the gate chooses their name."),
            )
            positions = {m.user_id: m.position for m in signers}
            self.fields["handover_by"].label_from_instance = lambda user: " · ".join(
                part for part in (user.display_name, positions.get(user.pk)) if part
            )
            self.fields["handover_code"] = forms.CharField(
                label=_("Handover confirmation code"),
                max_length=20,
                help_text=_("That person types their own handover confirmation code."),
                widget=forms.PasswordInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
            )
        self.order_fields(["vehicle", *[f"line_{line.pk}" for line in lines], "handover_by", "handover_code"])

    @property
    def needs_handover_code(self):
        return self.manifest.status == Status.SEALED and self.manifest.generator_signed_at is None

    @property
    def quantities(self):
        return {line.pk: self.cleaned_data[f"line_{line.pk}"] for line in self.lines}


class DeliverForm(PositionForm):
    """The driver confirms the delivery at the facility; position and idempotency key only."""


class RefuseForm(PasswordSignatureForm):
    refuse_reason = forms.CharField(
        label=_("Reason for refusing the whole shipment"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def clean_refuse_reason(self):
        reason = self.cleaned_data["refuse_reason"].strip()
        if not reason:
            raise forms.ValidationError(_("Give the reason for refusing the shipment."))
        return reason


class LineRow:
    """One manifest line with the bound fields of a per-line form, for the template."""

    def __init__(self, line, fields, errors):
        self.line, self.fields, self.errors = line, fields, errors

    def __getitem__(self, name):
        return self.fields[name]


class _PerLineForm(forms.Form):
    per_line = ()

    def _name(self, line, part):
        return f"line_{line.pk}_{part}"

    def rows(self):
        return [
            LineRow(line, {part: self[self._name(line, part)] for part in self.per_line}, self.line_errors.get(line.pk, []))
            for line in self.lines
        ]

    def line_error_field(self, line):
        """The field of `line` that a service error about the line belongs to (None: above the line)."""
        return None

    # The page's error summary (common.templatetags.error_summary) names the line of each field.
    def error_label(self, name, bound_field):
        line = next((line for line in self.lines if name.startswith(f"line_{line.pk}_")), None)
        return f"{line_label(line)}: {bound_field.label}" if line else bound_field.label

    def extra_error_links(self):
        for line in self.lines:
            for message in self.line_errors.get(line.pk, []):
                yield line_label(line), message, self[self._name(line, self.per_line[0])].auto_id

    def add_transition_error(self, error):
        """Put each error of a TransitionError next to the line field it concerns."""
        by_id = {f"line_{line.pk}": line for line in self.lines}
        if not error.errors:
            self.add_error(error.field if error.field in self.fields else None, error.message)
            return
        for key, message in error.errors.items():
            line = by_id.get(key)
            if line is None:
                self.add_error(key if key in self.fields else None, message)
                continue
            field = self.line_error_field(line)
            if field in self.fields:
                self.add_error(field, message)
            else:
                self.line_errors.setdefault(line.pk, []).append(message)


class ReceiveForm(PasswordSignatureForm, _PerLineForm):
    """Per line: received quantity, received waste code, discrepancy comment, rejection and its reason; signed
    with the receiver's password."""

    per_line = ("quantity", "code", "comment", "rejected", "rejection_reason")

    def __init__(self, *args, manifest, lines, **kwargs):
        super().__init__(*args, **kwargs)
        self.manifest, self.lines, self.line_errors = manifest, lines, {}
        current = WasteCode.objects.for_manifest()
        for line in lines:
            codes = (current | WasteCode.objects.filter(pk=line.waste_code_id)).order_by("code")
            self.fields[self._name(line, "quantity")] = QuantityField(
                label=_("Received quantity (kg)"), min_value=Decimal(0), required=False, initial=line.received_quantity_kg
            )
            self.fields[self._name(line, "code")] = BoundedModelChoiceField(
                label=_("Waste code received"),
                queryset=codes,
                required=False,
                initial=line.received_waste_code_id or line.waste_code_id,
                empty_label=None,
            )
            self.fields[self._name(line, "comment")] = forms.CharField(
                label=_("Comment on the discrepancy"),
                required=False,
                max_length=2000,
                widget=forms.Textarea(attrs={"rows": 2}),
                help_text=_("Needed when the quantity differs beyond the tolerance or the waste code differs."),
            )
            self.fields[self._name(line, "rejected")] = forms.BooleanField(label=_("Reject this line"), required=False)
            self.fields[self._name(line, "rejection_reason")] = forms.CharField(
                label=_("Reason for rejecting the line"), required=False, max_length=2000
            )

    def line_data(self, line):
        data = self.cleaned_data
        return {
            "received_quantity_kg": data.get(self._name(line, "quantity")),
            "received_waste_code": data.get(self._name(line, "code")) or line.waste_code,
            "comment": data.get(self._name(line, "comment"), ""),
            "rejected": bool(data.get(self._name(line, "rejected"))),
            "rejection_reason": data.get(self._name(line, "rejection_reason"), ""),
        }

    @property
    def lines_data(self):
        return {line.pk: self.line_data(line) for line in self.lines}

    def line_error_field(self, line):
        data = self.line_data(line)
        if data["rejected"]:
            return self._name(line, "rejection_reason")
        if data["received_quantity_kg"] is None:
            return self._name(line, "quantity")
        code = data["received_waste_code"]
        if code.pk != line.waste_code_id and self.manifest.permit and self.manifest.permit.uncovered_codes([code]):
            return self._name(line, "code")
        return self._name(line, "comment")


class TreatForm(PasswordSignatureForm, _PerLineForm):
    """Per accepted, untreated line: the treatment method (the permit's methods), its description when
    "Khác", and the date; signed with the password of the person recording it."""

    per_line = ("method", "note", "treated_on")

    def __init__(self, *args, manifest, lines, **kwargs):
        super().__init__(*args, **kwargs)
        self.manifest, self.lines, self.line_errors = manifest, lines, {}
        methods = manifest.permit.treatment_methods.order_by("order", "code")
        for line in lines:
            self.fields[self._name(line, "method")] = BoundedModelChoiceField(
                label=_("Treatment method"),
                queryset=methods,
                required=False,
                empty_label=_("Not treated yet"),
            )
            self.fields[self._name(line, "note")] = forms.CharField(
                label=_("Method in words (when “Other”)"), required=False, max_length=255
            )
            self.fields[self._name(line, "treated_on")] = forms.DateField(
                label=_("Treatment date"),
                required=False,
                initial=timezone.localdate,
                widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
            )

    @property
    def lines_data(self):
        """Lines without a method are left for later (partial treatment)."""
        data = self.cleaned_data
        result = {}
        for line in self.lines:
            method = data.get(self._name(line, "method"))
            if method is not None:
                result[line.pk] = {
                    "treatment_method": method,
                    "treatment_note": data.get(self._name(line, "note"), ""),
                    "treated_on": data.get(self._name(line, "treated_on")),
                }
        return result

    def line_error_field(self, line):
        method = self.cleaned_data.get(self._name(line, "method"))
        treated_on = self.cleaned_data.get(self._name(line, "treated_on"))
        if method is None:
            return self._name(line, "method")
        if treated_on is None:
            return self._name(line, "treated_on")
        if not self.manifest.permit.treatment_methods.filter(pk=method.pk).exists():
            return self._name(line, "method")
        if method.is_other and not self.cleaned_data.get(self._name(line, "note")):
            return self._name(line, "note")
        received_on = timezone.localtime(self.manifest.received_at).date() if self.manifest.received_at else None
        if treated_on > timezone.localdate() or (received_on and treated_on < received_on):
            return self._name(line, "treated_on")
        return None
