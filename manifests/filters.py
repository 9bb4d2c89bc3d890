"""Filters of the manifest list (also used by the export, manifests/views/excel.py, with the same query string)."""

from datetime import datetime, time, timedelta

import django_filters
from django import forms
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from catalog.search import waste_code_q

from .models import Manifest, ManifestLine, Status


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


def _start_of(day):
    return timezone.make_aware(datetime.combine(day, time.min))


class ManifestFilter(django_filters.FilterSet):
    number = django_filters.CharFilter(label=_("Number"), method="filter_number", widget=forms.TextInput(attrs={"type": "search"}))
    status = django_filters.ChoiceFilter(label=_("Status"), choices=Status.choices, empty_label=pgettext_lazy("status filter", "All"))
    waste_code = django_filters.CharFilter(
        label=_("Waste code"), method="filter_waste_code", widget=forms.TextInput(attrs={"placeholder": "17 02 03"})
    )
    counterpart = django_filters.CharFilter(
        label=_("Organisation"),
        method="filter_counterpart",
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("name or tax code of a party")}),
    )
    date_field = django_filters.ChoiceFilter(
        label=_("Dates apply to"),
        choices=[("created", _("creation date")), ("planned", _("planned pickup date"))],
        empty_label=None,
        method="filter_nothing",
    )
    date_from = django_filters.DateFilter(label=_("From"), method="filter_dates", widget=DateInput)
    date_to = django_filters.DateFilter(label=_("To"), method="filter_dates", widget=DateInput)

    class Meta:
        model = Manifest
        fields = ()

    def filter_number(self, queryset, name, value):
        value = " ".join(value.split())
        return queryset.filter(number__icontains=value) if value else queryset

    def filter_waste_code(self, queryset, name, value):
        """Lines declared or received under a code starting with what was typed, or whose name matches."""
        if not value.strip():
            return queryset
        lines = ManifestLine.objects.filter(manifest=OuterRef("pk")).filter(
            waste_code_q(value, "waste_code__") | waste_code_q(value, "received_waste_code__")
        )
        return queryset.filter(Exists(lines))

    def filter_counterpart(self, queryset, name, value):
        value = " ".join(value.split())
        if not value:
            return queryset
        q = Q()
        for path in ("generator", "facility", "transporter"):
            q |= Q(**{f"{path}__name__icontains": value}) | Q(**{f"{path}__tax_code__startswith": value})
        return queryset.filter(q)

    def filter_nothing(self, queryset, name, value):
        return queryset

    def filter_dates(self, queryset, name, value):
        if not value:
            return queryset
        planned = self.form.cleaned_data.get("date_field") == "planned"
        if planned:
            lookup = "gte" if name == "date_from" else "lte"
            return queryset.filter(**{f"planned_pickup_date__{lookup}": value})
        # A range on the timestamp itself (the index stays usable), in Vietnam time.
        if name == "date_from":
            return queryset.filter(created_at__gte=_start_of(value))
        return queryset.filter(created_at__lt=_start_of(value + timedelta(days=1)))
