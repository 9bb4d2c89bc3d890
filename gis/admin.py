from django.contrib import admin

from common.admin import ReadOnlyAdminMixin

from .models import LegacyProvince, Province, Ward

# The administrative units are loaded from the official list (load_geography) and never edited by hand.


@admin.register(Province)
class ProvinceAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["code", "name", "division_type"]
    search_fields = ["name", "codename"]


@admin.register(Ward)
class WardAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["code", "name", "province"]
    list_filter = ["province"]
    search_fields = ["name", "codename"]
    list_select_related = ["province"]


@admin.register(LegacyProvince)
class LegacyProvinceAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["code", "name", "province"]
    list_select_related = ["province"]
