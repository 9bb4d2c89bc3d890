from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from import_export.admin import ImportExportModelAdmin

from common.spreadsheets import AdminFormats, SpreadsheetError

from .forms import WasteCodeConfirmImportForm, WasteCodeImportForm
from .models import CatalogVersion, HazardProperty, TreatmentMethod, WasteChapter, WasteCode
from .resources import WasteCodeResource
from .search import waste_code_q


@admin.register(WasteChapter)
class WasteChapterAdmin(admin.ModelAdmin):
    list_display = ["code", "name_vi", "name_en"]


@admin.register(HazardProperty)
class HazardPropertyAdmin(admin.ModelAdmin):
    list_display = ["code", "name_vi", "name_en"]


@admin.register(TreatmentMethod)
class TreatmentMethodAdmin(admin.ModelAdmin):
    list_display = ["code", "name_vi", "name_en", "order"]


@admin.register(CatalogVersion)
class CatalogVersionAdmin(admin.ModelAdmin):
    list_display = ["label", "effective_date", "source"]


@admin.register(WasteCode)
class WasteCodeAdmin(AdminFormats, ImportExportModelAdmin):
    """The official waste list is imported here from XLSX/CSV into a catalog version chosen on the form."""

    resource_classes = [WasteCodeResource]
    import_form_class = WasteCodeImportForm
    confirm_form_class = WasteCodeConfirmImportForm
    import_template_name = "admin/catalog/wastecode/import.html"
    list_display = ["code", "name_vi", "class_marker", "verified", "version", "active"]
    list_filter = ["version", "class_marker", "verified", "chapter"]
    list_select_related = ["version"]
    search_fields = ["code"]  # widened by get_search_results to the folded names (catalog.search)
    filter_horizontal = ["hazard_properties"]

    def get_import_resource_kwargs(self, request, **kwargs):
        resource_kwargs = super().get_import_resource_kwargs(request, **kwargs)
        form = kwargs.get("form")
        if isinstance(form, (WasteCodeImportForm, WasteCodeConfirmImportForm)):
            resource_kwargs.update(form.resource_kwargs())
        return resource_kwargs

    def add_data_read_fail_error_to_form(self, form, e):
        if isinstance(e, SpreadsheetError):
            form.add_error("import_file", e.message)  # why the file was refused, not just the exception's name
        else:
            super().add_data_read_fail_error_to_form(form, e)

    def get_confirm_form_initial(self, request, import_form):
        initial = super().get_confirm_form_initial(request, import_form)
        if import_form is not None:
            initial.update(WasteCodeConfirmImportForm.initial_from(import_form))
        return initial

    def get_search_results(self, request, queryset, search_term):
        if not search_term.strip():
            return queryset, False
        return queryset.filter(waste_code_q(search_term)), False

    def get_export_queryset(self, request):
        return super().get_export_queryset(request).select_related("version").prefetch_related("hazard_properties")

    def process_result(self, result, request):
        if result.has_errors() or result.has_validation_errors():
            # The preview passed but the confirmed import did not (the data changed in between, or the new
            # version's label was taken meanwhile): the transaction rolled everything back.
            messages.error(request, _("Nothing was imported: the file no longer passes the checks. Upload it again to see why."))
            return HttpResponseRedirect(reverse("admin:catalog_wastecode_import", current_app=self.admin_site.name))
        return super().process_result(result, request)
