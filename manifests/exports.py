"""Export of the manifest list as XLSX or CSV.

`ManifestExportResource` builds the Dataset with native values (Decimal, date, naive local datetime,
text); the spreadsheet layer's formats (common.spreadsheets) write them and neutralise formulae.
"""


from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from import_export import resources, widgets
from import_export.fields import Field

from common.spreadsheets import CSVExport, XLSXExport, stream_csv

from .models import Manifest

EXPORT_LIMIT = 50_000


class NativeWidget(widgets.Widget):
    """Hand the value over as it is (the export formats write numbers, dates and text themselves)."""

    def render(self, value, obj=None, **kwargs):
        return value


class ManifestExportResource(resources.ModelResource):
    """One row per manifest, with native values; the format decides how they are written."""

    number = Field(attribute="number", widget=NativeWidget(), column_name=gettext_lazy("Number"))
    status = Field(column_name=gettext_lazy("Status"), dehydrate_method="dehydrate_status")
    created = Field(column_name=gettext_lazy("Created on"), dehydrate_method="dehydrate_created")
    planned_pickup_date = Field(attribute="planned_pickup_date", widget=NativeWidget(), column_name=gettext_lazy("Planned pickup date"))
    generator = Field(attribute="generator__name", widget=NativeWidget(), column_name=gettext_lazy("Generator"))
    generator_site = Field(attribute="generator_site__name", widget=NativeWidget(), column_name=gettext_lazy("Generator site"))
    province = Field(attribute="province__name", widget=NativeWidget(), column_name=gettext_lazy("Province"))
    transporter = Field(attribute="transporter__name", widget=NativeWidget(), column_name=gettext_lazy("Transporter"))
    facility = Field(attribute="facility__name", widget=NativeWidget(), column_name=gettext_lazy("Treatment facility"))
    total_kg = Field(column_name=gettext_lazy("Total quantity (kg)"), dehydrate_method="dehydrate_total_kg")
    discrepancy = Field(column_name=gettext_lazy("Discrepancy"), dehydrate_method="dehydrate_discrepancy")
    completed_at = Field(column_name=gettext_lazy("Completed at"), dehydrate_method="dehydrate_completed_at")

    class Meta:
        model = Manifest
        fields = (
            "number", "status", "created", "planned_pickup_date", "generator", "generator_site", "province",
            "transporter", "facility", "total_kg", "discrepancy", "completed_at",
        )
        export_order = fields
        chunk_size = 2000

    def dehydrate_status(self, manifest):
        return str(manifest.get_status_display())

    def dehydrate_created(self, manifest):
        return timezone.localtime(manifest.created_at).date()

    def dehydrate_total_kg(self, manifest):
        return manifest.declared_kg

    def dehydrate_discrepancy(self, manifest):
        return _("Yes") if manifest.has_discrepancy else _("No")

    def dehydrate_completed_at(self, manifest):
        if manifest.completed_at is None:
            return None
        return timezone.localtime(manifest.completed_at).replace(tzinfo=None, microsecond=0)


def export_queryset(queryset):
    """Everything a row needs in one query: the parties joined; the total is stored on the manifest."""
    return (
        queryset.select_related("generator", "generator_site", "province", "transporter", "facility")
        .order_by("-created_at", "-id")
    )


class ManifestXLSX(XLSXExport):
    column_widths = (18, 22, 12, 12, 30, 26, 22, 26, 26, 14, 10, 17)


EXPORT_FORMATS = {"xlsx": ManifestXLSX, "csv": CSVExport}


def stream_manifests_csv(queryset):
    """The CSV export of `queryset` as a stream of bytes, read from the database in chunks."""
    resource = ManifestExportResource()
    headers = resource.get_export_headers()
    rows = (resource.export_resource(manifest) for manifest in queryset.iterator(chunk_size=2000))
    return stream_csv(headers, rows)


def export_manifests(queryset, fmt):
    """(bytes, content type, extension) for the manifests of `queryset` (already bounded by the caller)."""
    export_format = EXPORT_FORMATS[fmt]()
    dataset = ManifestExportResource().export(queryset)
    dataset.title = _("Manifests")
    return export_format.export_data(dataset), export_format.get_content_type(), fmt
