"""Filters of the manifest lists and of the export, over the user's rows of the access index
(manifests.models.ManifestAccess): the status and the creation time are on the rows themselves (their index
serves them), the rest is read from the manifest."""

from datetime import datetime, time, timedelta

import django_filters
from django import forms
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.models import Organisation
from catalog.models import WasteCode
from catalog.search import waste_code_q
from gis.choices import province_choices

from .models import ManifestAccess, ManifestLine, Status

# A name or tax code matching more organisations than this is too vague to filter on: ask for more letters.
COUNTERPART_LIMIT = 200


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


def _start_of(day):
    return timezone.make_aware(datetime.combine(day, time.min))


class ManifestFilter(django_filters.FilterSet):
    number = django_filters.CharFilter(
        label=_("Number"),
        method="filter_number",
        widget=forms.TextInput(attrs={"type": "search", "placeholder": "01-2026-000123"}),
        help_text=_("The whole number, its beginning or its end."),
    )
    status = django_filters.ChoiceFilter(label=_("Status"), choices=Status.choices, empty_label=pgettext_lazy("status filter", "All"))
    # The provinces from the cache (gis.choices), not a query and 34 model instances on every list page.
    province = django_filters.ChoiceFilter(
        label=_("Province of the generator"),
        choices=province_choices,
        method="filter_province",
        empty_label=pgettext_lazy("province filter", "All"),
    )
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
        model = ManifestAccess
        fields = ()

    def filter_number(self, queryset, name, value):
        """The beginning or the end of the number; both are index prefixes (the end on the reversed number)."""
        value = "".join(value.split()).upper()
        if not value:
            return queryset
        return queryset.filter(Q(manifest__number__startswith=value) | Q(manifest__number_reversed__startswith=value[::-1]))

    def filter_province(self, queryset, name, value):
        """Manifests whose waste arises in the province (the generator site's): the statistics' province too."""
        if not value:
            return queryset
        return queryset.filter(province=int(value))

    def filter_waste_code(self, queryset, name, value):
        """Lines declared or received under a code starting with what was typed, or whose name matches."""
        if not value.strip():
            return queryset
        # The catalog is small: the matching codes first, then lines by code id (no join per candidate row).
        codes = list(WasteCode.objects.filter(waste_code_q(value)).values_list("pk", flat=True))
        lines = ManifestLine.objects.filter(manifest=OuterRef("manifest_id")).filter(
            Q(waste_code_id__in=codes) | Q(received_waste_code_id__in=codes)
        )
        return queryset.filter(Exists(lines))

    def filter_counterpart(self, queryset, name, value):
        """The organisations are found first (a small table), then the manifests naming one of them."""
        value = " ".join(value.split())
        if not value:
            return queryset
        found = list(
            Organisation.objects.filter(Q(name__icontains=value) | Q(tax_code__startswith=value)).values_list("pk", flat=True)[
                : COUNTERPART_LIMIT + 1
            ]
        )
        if len(found) > COUNTERPART_LIMIT:
            self.form.add_error("counterpart", _("Too many organisations match: type more of the name or the tax code."))
            return queryset.none()
        return queryset.filter(
            Q(manifest__generator_id__in=found) | Q(manifest__facility_id__in=found) | Q(manifest__transporter_id__in=found)
        )

    def filter_nothing(self, queryset, name, value):
        return queryset

    def filter_dates(self, queryset, name, value):
        if not value:
            return queryset
        planned = self.form.cleaned_data.get("date_field") == "planned"
        if planned:
            lookup = "gte" if name == "date_from" else "lte"
            return queryset.filter(**{f"manifest__planned_pickup_date__{lookup}": value})
        # A range on the timestamp itself (the index stays usable), in Vietnam time.
        if name == "date_from":
            return queryset.filter(created_at__gte=_start_of(value))
        return queryset.filter(created_at__lt=_start_of(value + timedelta(days=1)))
